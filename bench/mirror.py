"""Generated mirrors for the benchmark: cached between runs, served from working copies, edited on purpose.

* :func:`generated_mirror` runs ``arabpress mirror generate`` once per (articles, seed) and keeps the result
  in ``bench/out/mirrors/``, keyed by a hash of the generator's sources, so a changed generator regenerates.
* :func:`working_copy` makes a hard-linked copy of a cached mirror (cheap at any size); files about to be
  edited are un-shared first (:func:`unshare`), so edits never reach the cached mirror.
* :func:`edit_articles` edits chosen originals with :func:`arabpress_mirror.edit.edit_article`, as an
  editor updating posts in WordPress would (new paragraph text, later modified time, bumped sitemap lastmod).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from arabpress_mirror.content import KIND_ARTICLE, MirrorArticle
from arabpress_mirror.edit import SITEMAP_GLOB, SITEMAP_INDEX, edit_article
from arabpress_mirror.generate import generated_articles
from arabpress_mirror.layout import url_to_file
from bench import OUT_DIR, ROOT
from bench.process import Measured, run_measured, tool

logger = logging.getLogger(__name__)

MIRRORS_DIR = OUT_DIR / "mirrors"
#: Written last into a cached mirror: a directory without it is an interrupted generation.
COMPLETE_MARKER = ".bench-complete"
#: Sources whose changes change the generated files.
GENERATOR_SOURCES = ("arabpress_mirror", "arabpress_mirror/content")
SOURCE_SUFFIXES = (".py", ".j2", ".toml", ".css", ".txt")
HASH_CHARS = 12
GENERATE_TIMEOUT_SECONDS = 1800


def generator_hash(root: Path = ROOT) -> str:
    """A short hash of the mirror generator's sources (the rendered demo site is not part of it)."""
    digest = hashlib.sha256()
    for folder in GENERATOR_SOURCES:
        for path in sorted((root / folder).glob("*")):
            if path.is_file() and path.suffix in SOURCE_SUFFIXES:
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:HASH_CHARS]


@dataclass(frozen=True)
class Mirror:
    root: Path
    articles: int
    seed: int
    #: The generation, when it ran in this session (``None``: taken from the cache).
    generated: Measured | None = None


def generate_command(articles: int, seed: int, out: Path) -> list[str]:
    return [tool("arabpress"), "mirror", "generate", "--articles", str(articles), "--seed", str(seed),
            "--out", str(out), "--force"]


def generated_mirror(articles: int, seed: int, cache: Path = MIRRORS_DIR) -> Mirror:
    """The mirror of ``articles`` posts generated with ``seed``: from the cache, or generated now."""
    key = generator_hash()
    root = cache / f"a{articles}-s{seed}-{key}"
    if (root / COMPLETE_MARKER).exists():
        logger.info("reusing the generated mirror %s", root)
        return Mirror(root, articles, seed)
    _remove_stale(cache, articles, seed, keep=root)
    root.mkdir(parents=True, exist_ok=True)
    measured = run_measured(generate_command(articles, seed, root), timeout=GENERATE_TIMEOUT_SECONDS).check()
    (root / COMPLETE_MARKER).write_text(f"{articles} articles, seed {seed}, generator {key}\n", encoding="utf-8")
    return Mirror(root, articles, seed, measured)


def _remove_stale(cache: Path, articles: int, seed: int, keep: Path) -> None:
    """Mirrors of the same size and seed from an older generator: disk space, nothing more."""
    for old in cache.glob(f"a{articles}-s{seed}-*"):
        if old != keep and old.is_dir():
            logger.info("removing the stale mirror %s", old)
            shutil.rmtree(old)


def working_copy(source: Path, target: Path) -> Path:
    """A hard-linked copy of the mirror at ``source`` in ``target`` (replaced if present)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, copy_function=os.link)
    return target


def unshare(path: Path) -> None:
    """Give ``path`` its own inode (a hard-linked file would carry an edit into every copy)."""
    if not path.is_file():
        return
    temporary = path.with_name(path.name + ".unshare")
    shutil.copy2(path, temporary)
    os.replace(temporary, path)


def editable_articles(mirror: Mirror) -> list[MirrorArticle]:
    """Originals that are nobody's source: no AMP twin, no republished or edited copy points at them."""
    articles = generated_articles(mirror.articles, mirror.seed)
    sources = {article.original_path for article in articles if article.original_path}
    return [a for a in articles if a.kind == KIND_ARTICLE and a.path not in sources]


def choose_edits(candidates: list[MirrorArticle], count: int, round_index: int) -> list[MirrorArticle]:
    """``count`` articles spread evenly over ``candidates``, a different set for each round."""
    if count <= 0 or not candidates:
        return []
    step = max(1, len(candidates) // count)
    offset = round_index % step
    return candidates[offset::step][:count]


def edit_articles(root: Path, articles: list[MirrorArticle], marker: str, when: str | None = None) -> list[str]:
    """Edit each article of the working copy at ``root`` (its last paragraph gains ``marker``); their paths."""
    for sitemap in [*root.glob(SITEMAP_GLOB), root / SITEMAP_INDEX]:
        unshare(sitemap)
    edited = []
    for article in articles:
        unshare(url_to_file(root, article.path))
        paragraphs = [*article.paragraphs[:-1], f"{article.paragraphs[-1]} {marker}"]
        edit_article(root, article.path, paragraphs=paragraphs, when=when)
        edited.append(article.path)
    logger.info("edited %d articles of %s (%s)", len(edited), root, marker)
    return edited
