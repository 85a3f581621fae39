"""The generator: deterministic, the counts and traps it promises, pages that match its articles."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import html

from arabpress_mirror.content import KIND_AMP, KIND_EDITED_COPY, KIND_REPUBLISHED
from arabpress_mirror.generate import generate_mirror, generated_articles
from arabpress_mirror.layout import url_to_file
from arabpress_mirror.render import SITEMAP_MAX_URLS

COUNT = 400
#: A generous bound on the mirror's size per article page (keeps 100,000 articles to a few GB).
MAX_BYTES_PER_ARTICLE = 40_000


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def shingles(paragraphs: list[str], size: int = 3) -> set[tuple[str, ...]]:
    words = " ".join(paragraphs).split()
    return {tuple(words[index : index + size]) for index in range(len(words) - size + 1)}


def jaccard(first: set, second: set) -> float:
    return len(first & second) / len(first | second)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "site"
    generate_mirror(out, COUNT, seed=7)
    return out


ARTICLES = generated_articles(COUNT, seed=7)


def test_same_seed_same_files(mirror: Path, tmp_path: Path) -> None:
    generate_mirror(tmp_path / "again", COUNT, seed=7)
    assert tree(tmp_path / "again") == tree(mirror)


def test_other_seed_other_articles() -> None:
    assert [a.title for a in generated_articles(50, seed=1)] != [
        a.title for a in generated_articles(50, seed=2)
    ]


def test_counts_languages_and_copies() -> None:
    kinds = Counter(article.kind for article in ARTICLES)
    assert sum(count for kind, count in kinds.items() if kind != KIND_AMP) == COUNT
    assert kinds[KIND_AMP] >= 1 and kinds[KIND_REPUBLISHED] >= 1 and kinds[KIND_EDITED_COPY] >= 1
    arabic = sum(article.language == "ar" for article in ARTICLES) / len(ARTICLES)
    assert 0.04 < arabic < 0.2
    assert len({article.path for article in ARTICLES}) == len(ARTICLES)
    years = {article.published_at[:4] for article in ARTICLES}
    assert len(years) >= 10
    assert all(article.modified_at >= article.published_at for article in ARTICLES)


def test_related_lists_and_broken_links(mirror: Path) -> None:
    broken = 0
    for article in ARTICLES:
        assert 8 <= len(article.related) <= 16, article.path
        for _, url in article.related:
            broken += not url_to_file(mirror, urlsplit(url).path).is_file()
    assert broken >= 1
    assert any("utm_" in href for article in ARTICLES for href in article.related_hrefs)


def test_copies_are_duplicates_and_originals_are_not() -> None:
    by_path = {article.path: article for article in ARTICLES}
    for copy in (a for a in ARTICLES if a.kind in (KIND_REPUBLISHED, KIND_EDITED_COPY)):
        similarity = jaccard(shingles(copy.paragraphs), shingles(by_path[copy.original_path].paragraphs))
        assert similarity == 1.0 if copy.kind == KIND_REPUBLISHED else 0.8 < similarity < 1.0
    originals = [a for a in ARTICLES if a.kind == "article" and a.language == "en"]
    rng = random.Random(0)
    for _ in range(50):
        first, second = rng.sample(originals, 2)
        assert jaccard(shingles(first.paragraphs), shingles(second.paragraphs)) < 0.3


def test_pages_match_their_articles(mirror: Path) -> None:
    for article in ARTICLES[:: max(1, len(ARTICLES) // 25)]:
        root = html.fromstring(url_to_file(mirror, article.path).read_text(encoding="utf-8"))
        assert root.cssselect("h1.entry-title")[0].text_content() == article.title
        assert [p.text_content() for p in root.xpath('//div[@class="entry-content"]/p')] == article.paragraphs
        assert root.cssselect("link[rel=canonical]")[0].get("href") == article.canonical_url
        assert root.get("dir") == ("rtl" if article.language == "ar" else "ltr")


def test_listings_feed_sitemaps_and_about(mirror: Path) -> None:
    assert (mirror / "category" / "technology" / "page" / "2" / "index.html").is_file()
    assert (mirror / "feed" / "index.rss").is_file() and (mirror / "robots.txt").is_file()
    about = (mirror / "about" / "index.html").read_text(encoding="utf-8")
    assert "placeholder text" in about and "seed 7" in about


def test_post_sitemap_splits_past_a_thousand_urls(tmp_path: Path) -> None:
    generate_mirror(tmp_path / "big", SITEMAP_MAX_URLS + 50, seed=3)
    assert (tmp_path / "big" / "post-sitemap2.xml").is_file()
    assert "post-sitemap2.xml" in (tmp_path / "big" / "sitemap_index.xml").read_text(encoding="utf-8")
    assert not (tmp_path / "big" / "post-sitemap3.xml").exists()


def test_size_per_article(mirror: Path) -> None:
    assert sum(len(data) for data in tree(mirror).values()) < MAX_BYTES_PER_ARTICLE * len(ARTICLES)


@pytest.mark.parametrize("count", [0, 100_001])
def test_refuses_impossible_counts(count: int) -> None:
    with pytest.raises(ValueError, match="between 1 and"):
        generated_articles(count)
