"""Limits of a run, in one process as with several: one page cap per run, and a dropped related page let go.

* ``ARABPRESS_MAX_PAGES`` caps the article pages of the *run*: N workers together fetch no more than the cap
  (each used to count its own, so 2 workers fetched twice the cap);
* the same cap bounds the listing pages a backfill follows (pages of known articles): one bound for the run,
  so 2 or 4 workers follow as many pagination pages as one process (each worker used to count its own);
* a related link whose page the validation stage drops (an article page with no body) is dropped from the
  frontier like any other page that will never be an article, instead of staying ``pending`` and being asked
  for again by every run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import read_rows, run_crawl_cli

from arabpress_mirror.server import MirrorServer

from .conftest import served_mirror

ARTICLE_PATH = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/$")
PAGE_CAP = 15
#: A page outside every listing, feed and sitemap: only a "Related Articles" link reaches it.
STUB_PATH = "/2019/05/05/a-story-with-no-body/"
STUB_BODY = "<p>Read more soon.</p>"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    yield from served_mirror(tmp_path_factory, "limits-mirror", 80, seed=11)


def article_requests(requests: Any) -> int:
    return sum(n for path, n in requests.items() if ARTICLE_PATH.match(path))


@pytest.mark.parametrize(("workers", "flag"), [(0, False), (2, False), (2, True)])
def test_the_page_cap_is_one_cap_for_the_run_whatever_the_number_of_workers(
    redis_url: str, server: Any, generated: MirrorServer, tmp_path: Path, workers: int, flag: bool
) -> None:
    """``ARABPRESS_MAX_PAGES``, and ``--max-pages`` (no longer refused with ``--redis``)."""
    from conftest import clean_env

    before = generated.requests
    options = ["--backfill", "--no-fail-on-warnings"] + (["--max-pages", str(PAGE_CAP)] if flag else [])
    if workers:
        options += ["--redis", redis_url, "--workers", str(workers)]
    env = clean_env() if flag else clean_env(ARABPRESS_MAX_PAGES=str(PAGE_CAP))
    run = run_crawl_cli(generated.base_url, tmp_path / "capped.db", *options, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    fetched = article_requests(generated.requests - before)
    assert fetched <= PAGE_CAP  # the run's cap, not each worker's
    assert fetched >= PAGE_CAP - 1  # and the cap was reached (the mirror has far more)
    kept = read_rows(run.db, "SELECT count(*) AS n FROM frontier WHERE reason = 'pending'")[0]["n"]
    assert kept > 0  # what the cap cut is kept for the next run


LISTING_CAP = 3
PAGINATION_PATH = re.compile(r"/page/\d+/$")


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    """300 articles: the home page's and every section's listing run to several pages each."""
    yield from served_mirror(tmp_path_factory, "listings-mirror", 300, seed=13)


@pytest.mark.parametrize("workers", [0, 2, 4])
def test_the_listing_pages_a_backfill_follows_are_bounded_once_for_the_run(
    redis_url: str, server: Any, listed: MirrorServer, tmp_path: Path, workers: int
) -> None:
    """A second backfill over a stored site: every article is known, so only the pagination bound stops it."""
    from conftest import clean_env

    db = tmp_path / "listings.db"
    start = listed.requests
    first = run_crawl_cli(listed.base_url, db, "--backfill", "--no-fail-on-warnings")
    assert first.returncode == 0, first.stdout + first.stderr
    paginated_first = sum(n for path, n in (listed.requests - start).items() if PAGINATION_PATH.search(path))
    assert paginated_first >= 4 * LISTING_CAP  # the mirror has more pagination pages than 4 workers could each follow
    options = ["--backfill", "--no-fail-on-warnings"]
    if workers:
        options += ["--redis", redis_url, "--workers", str(workers)]
    before = listed.requests
    second = run_crawl_cli(listed.base_url, db, *options, env=clean_env(ARABPRESS_MAX_PAGES=str(LISTING_CAP)))
    assert second.returncode == 0, second.stdout + second.stderr
    requested = listed.requests - before
    assert article_requests(requested) == 0  # nothing new: the article budget was never spent
    paginated = sum(n for path, n in requested.items() if PAGINATION_PATH.search(path))
    assert paginated == LISTING_CAP  # as in one process: the run's bound, not each worker's


def add_stub_page(root: Path) -> str:
    """An article page with a title and no body at :data:`STUB_PATH`, linked from every article's related list;
    the path of the article it was copied from."""
    pages = sorted(p for p in root.glob("20*/*/*/*/index.html") if "ar-" not in p.parent.name)
    source = pages[0]
    source_path = "/" + source.parent.relative_to(root).as_posix() + "/"
    html = source.read_text(encoding="utf-8").replace(source_path, STUB_PATH)
    html = re.sub(r'(<div class="entry-content">).*?(</div>)', rf"\1{STUB_BODY}\2", html, count=1, flags=re.S)
    stub = root / STUB_PATH.strip("/") / "index.html"
    stub.parent.mkdir(parents=True)
    stub.write_text(html, encoding="utf-8")
    link = f'<li class="related-post"><a href="https://arab.press{STUB_PATH}">A story with no body</a></li>'
    for page in pages[1:]:
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace('<ul class="related-posts">', '<ul class="related-posts">\n' + link, 1), encoding="utf-8")
    return source_path


@pytest.fixture(scope="module")
def with_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    from arabpress_mirror.generate import generate_mirror

    root = tmp_path_factory.mktemp("stub-mirror") / "site"
    generate_mirror(root, 40, seed=12)
    add_stub_page(root)
    with MirrorServer(root) as mirror:
        yield mirror


@pytest.mark.parametrize("workers", [0, 2])
def test_a_related_page_the_validation_drops_leaves_the_frontier_and_is_not_asked_for_again(
    redis_url: str, server: Any, with_stub: MirrorServer, tmp_path: Path, workers: int
) -> None:
    db = tmp_path / "stub.db"
    options = ["--no-fail-on-warnings"] + (["--redis", redis_url, "--workers", str(workers)] if workers else [])
    before = with_stub.requests
    first = run_crawl_cli(with_stub.base_url, db, *options)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (with_stub.requests - before)[STUB_PATH] == 1  # reached by a related link, fetched, dropped (no body)
    assert read_rows(db, "SELECT url FROM articles WHERE url LIKE ?", (f"%{STUB_PATH}",)) == []
    assert read_rows(db, "SELECT url, reason FROM frontier WHERE url LIKE ?", (f"%{STUB_PATH}",)) == []
    between = with_stub.requests
    second = run_crawl_cli(with_stub.base_url, db, *options)
    assert second.returncode == 0, second.stdout + second.stderr
    assert (with_stub.requests - between)[STUB_PATH] == 0  # not asked for again: it is not in the frontier
