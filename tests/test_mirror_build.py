"""The committed demo mirror equals a fresh render, so it is regenerated deliberately and never drifts."""

from __future__ import annotations

from pathlib import Path

from arabpress_mirror.build import build_demo_site
from arabpress_mirror.content import demo_articles
from arabpress_mirror.layout import DEMO_SITE_DIR

MAX_SITE_BYTES = 5 * 1024 * 1024
REGENERATE = "python -m arabpress_mirror.build"


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_committed_demo_site_equals_a_fresh_render(tmp_path: Path) -> None:
    build_demo_site(tmp_path / "site")
    fresh, committed = tree(tmp_path / "site"), tree(DEMO_SITE_DIR)
    assert sorted(fresh) == sorted(committed), f"files differ: run `{REGENERATE}` and commit the result"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"{len(stale)} files differ, e.g. {stale[:3]}: run `{REGENERATE}` and commit the result"


def test_demo_site_is_small() -> None:
    assert sum(len(data) for data in tree(DEMO_SITE_DIR).values()) < MAX_SITE_BYTES


def test_build_replaces_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "stale").mkdir(parents=True)
    (out / "stale" / "index.html").write_text("old page", encoding="utf-8")
    stats = build_demo_site(out)
    assert not (out / "stale").exists()
    assert stats.articles == len(demo_articles()) and (out / "index.html").is_file()
