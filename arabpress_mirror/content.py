"""The demo mirror's articles as data: the single source of truth for what each rendered page shows.

:func:`demo_articles` returns every article page of the packaged demo mirror as :class:`MirrorArticle`
values. The extraction tests compare what the crawler extracts from a rendered page with these values, so
they describe the page exactly as a reader sees it (the body without the traps: ads, scripts, share buttons,
"Read also" boxes and inline figure captions are not paragraphs).

Where the text comes from:

* the seed article: the text of one real Arab Press page, ``content/seed-article-page.txt`` (a copy of
  ``shared/seed/arabpress-article-page.txt``) — masthead, title, standfirst, 14 body paragraphs and the 50
  related headlines, in order. The masthead says "Saturday, Nov 08, 2025" (the day the page was read); the
  story itself was published on 28 December 2022.
* ``content/related.toml``: one article for each of the 50 related headlines (neutral placeholder bodies
  written for the mirror);
* ``content/arabic.toml``: Arabic-language articles (placeholder text, some words with tashkeel or tatweel).

The traps real crawls meet are added here too: an AMP copy (``<path>amp/``, canonical to the article), an
article republished under a second URL with the same text, a copy with one word edited, a related link that
answers 404, and tracking parameters (``utm_*``, ``fbclid``) or fragments on some related links.
"""

from __future__ import annotations

import copy
import logging
import random
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

#: Every absolute URL of the mirror uses this origin; the mirror server rewrites it to its own.
ORIGIN = "https://arab.press"
SITE_NAME = "Arab Press"
TAGLINE = "بالشعب و للشعب"
CONTENT_DIR = Path(__file__).parent / "content"
SEED_TEXT_FILE = CONTENT_DIR / "seed-article-page.txt"
RELATED_FILE = CONTENT_DIR / "related.toml"
ARABIC_FILE = CONTENT_DIR / "arabic.toml"

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

#: Section slug -> display name, in navigation order.
SECTIONS: dict[str, str] = {
    "middle-east": "Middle East",
    "gulf": "Gulf",
    "business": "Business",
    "technology": "Technology",
    "sport": "Sport",
    "world": "World",
    "science": "Science",
    "culture": "Culture",
    "arabic": "عربي",
}
ARABIC_SECTION = "arabic"

#: Author display name -> author page slug (WordPress ``user_nicename``: ASCII even for Arabic names).
AUTHOR_SLUGS: dict[str, str] = {
    "Arab Press Staff": "arab-press-staff",
    "Layla Haddad": "layla-haddad",
    "Omar Farouk": "omar-farouk",
    "Sara Mansour": "sara-mansour",
    "James Whitfield": "james-whitfield",
    "Nadia Karam": "nadia-karam",
    "Youssef Amin": "youssef-amin",
    "سلمى العتيبي": "salma-alotaibi",
    "خالد منصور": "khaled-mansour",
    "ريم الحسن": "reem-alhassan",
    "فاطمة الزهراني": "fatima-alzahrani",
    "عمر الخطيب": "omar-alkhatib",
    "نور الدين بلقاسم": "noureddine-belkacem",
}

KIND_ARTICLE = "article"
KIND_AMP = "amp"
KIND_REPUBLISHED = "republished"
KIND_EDITED_COPY = "edited-copy"
ARTICLE_KINDS = (KIND_ARTICLE, KIND_AMP, KIND_REPUBLISHED, KIND_EDITED_COPY)

SEED_PUBLISHED_AT = "2022-12-28T17:30:00Z"
SEED_MODIFIED_AT = "2022-12-28T19:05:00Z"
SEED_SECTION = "middle-east"
SEED_AUTHORS = ["Arab Press Staff"]
SEED_TAGS = ["Russia", "Turkey", "Syria", "Defence"]
SEED_POST_ID = 48213
FIRST_POST_ID = 60001

#: The related link that answers 404 (a story taken down after other pages linked to it).
BROKEN_LINK_TITLE = "Riyadh Metro Extends Night Service for Riyadh Season"
BROKEN_LINK_PATH = "/2025/10/30/riyadh-metro-extends-night-service/"
#: The article whose related list carries the broken link, and where in the list.
BROKEN_LINK_HOST_TITLE = "Saudi Arabia Launches Instant e-Visa Platform for Over 60 Countries"
BROKEN_LINK_POSITION = 3

#: Copies: (title of the original, publication time of the copy).
REPUBLISHED_ORIGINAL = (
    "Saudi Arabia Poised to Channel Billions into Syria’s Reconstruction as U.S. Sanctions Linger"
)
REPUBLISHED_AT = "2025-10-30T08:00:00Z"
EDITED_ORIGINAL = "AI and Cybersecurity at Forefront as GITEX Global 2025 Kicks Off in Dubai"
EDITED_AT = "2025-10-15T07:20:00Z"
#: The one-word edit of the edited copy: (paragraph index, old word, new word).
EDITED_CHANGE = (1, "global cloud providers", "international cloud providers")
AMP_ORIGINAL_TITLES = (
    "Russia, Turkey, Syria Defence Ministers Meet For Talks After Over 10 Years",
    "افتتاح خط جـديد لمترو الرياض يربط شمال المدينة بوسطها",
)

RELATED_MIN = 8
RELATED_MAX = 15
#: Tracking decorations put on some related hrefs: (divisor, suffix); the first divisor of (index + position) wins.
TRACKING_DECORATIONS: tuple[tuple[int, str], ...] = (
    (9, "?utm_source=related&utm_medium=web&utm_campaign=more-stories"),
    (13, "#comments"),
    (17, "?fbclid=IwAR2mirrorT3stClickId"),
)
READ_ALSO_SUFFIX = "?utm_source=read-also&utm_medium=inline"


@dataclass
class MirrorArticle:
    """One article page of the mirror, exactly as rendered.

    ``related`` holds (headline, canonical absolute URL) in page order; the page's hrefs may carry tracking
    parameters or a fragment: ``related_hrefs`` holds them as written. ``url`` is the page's own address;
    ``canonical_url`` is its ``<link rel=canonical>`` (the original for an AMP copy). Paths are URL paths:
    non-ASCII slugs are percent-encoded with lower-case hex, as WordPress writes them.
    """

    path: str
    title: str
    subtitle: str
    paragraphs: list[str]
    authors: list[str]
    published_at: str
    modified_at: str
    section: str
    section_slug: str
    tags: list[str]
    image_url: str
    language: str
    related: list[tuple[str, str]] = field(default_factory=list)
    related_hrefs: list[str] = field(default_factory=list)
    kind: str = KIND_ARTICLE
    original_path: str | None = None
    post_id: int = 0
    image_caption: str = ""
    #: The inline "Read also" box: (headline, href as written), or None.
    read_also: tuple[str, str] | None = None
    #: Caption of a figure inside the body (not a paragraph), or None.
    body_figure_caption: str | None = None
    #: Whether the body carries an ad slot, an inline script and share buttons.
    body_noise: bool = True
    url: str = field(init=False)
    canonical_url: str = field(init=False)

    def __post_init__(self) -> None:
        if self.kind not in ARTICLE_KINDS:
            raise ValueError(f"unknown article kind {self.kind!r} for {self.path}")
        self.url = ORIGIN + self.path
        canonical_path = self.original_path if self.kind == KIND_AMP and self.original_path else self.path
        self.canonical_url = ORIGIN + canonical_path

    @property
    def body(self) -> str:
        """The body as :class:`~arabpress_crawler.items.ArticleItem` holds it: paragraphs joined by a blank line."""
        return "\n\n".join(self.paragraphs)

    @property
    def is_copy(self) -> bool:
        return self.kind != KIND_ARTICLE


@dataclass(frozen=True)
class SeedPage:
    """The seed page's text, split into its parts."""

    masthead: tuple[str, str, str]  # site name, tagline, masthead date
    title: str
    subtitle: str
    paragraphs: list[str]
    newsletter: str
    related_title: str
    player: tuple[str, str, str, str]
    related_headlines: list[str]
    modal_close: str


# --- slugs and paths -----------------------------------------------------------------------------------

_DASHES = re.compile("[\u2010-\u2015]")
_NOT_SLUG_CHAR = re.compile(r"[^a-z0-9\s_-]")
_SLUG_SEPARATORS = re.compile(r"[\s_-]+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def slugify(text: str) -> str:
    """An ASCII slug as WordPress's ``sanitize_title`` makes it.

    Dashes become ``-``, other punctuation is dropped ("U.S." -> "us", "2,000" -> "2000"), spaces become ``-``.
    """
    dashed = _DASHES.sub("-", text.lower())
    ascii_text = unicodedata.normalize("NFKD", dashed).encode("ascii", "ignore").decode()
    return _SLUG_SEPARATORS.sub("-", _NOT_SLUG_CHAR.sub("", ascii_text)).strip("-")


def term_slug(name: str) -> str:
    """Slug of a tag or category name: ASCII for Latin names, Arabic words joined by ``-`` otherwise."""
    ascii_slug = slugify(name)
    if ascii_slug:
        return ascii_slug
    return _NON_WORD.sub("-", name).strip("-")


def quote_path(path: str) -> str:
    """Percent-encode a URL path with lower-case hex escapes, as WordPress writes non-ASCII slugs."""
    quoted = quote(path, safe="/-_.~")
    return _PERCENT_ESCAPE.sub(lambda match: match.group(0).lower(), quoted)


def article_path(published_at: str, slug: str) -> str:
    """Date permalink ``/YYYY/MM/DD/<slug>/`` (percent-encoded)."""
    day = published_at[:10].replace("-", "/")
    return quote_path(f"/{day}/{slug}/")


def image_url_for(published_at: str, stem: str) -> str:
    return f"{ORIGIN}/wp-content/uploads/{published_at[:4]}/{published_at[5:7]}/{stem}.png"


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value, ISO_FORMAT).replace(tzinfo=UTC)


def format_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


# --- the seed page -------------------------------------------------------------------------------------

SEED_NEWSLETTER = "Newsletter"
SEED_RELATED_TITLE = "Related Articles"
SEED_PLAYER_CLOSE = "Close"


def parse_seed_page(text: str) -> SeedPage:
    """Split the seed page text into masthead, title, standfirst, body, boxes and related headlines."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    masthead = (lines[0], lines[1], lines[2])
    title = lines[3]
    if lines[4] != title:
        raise ValueError(f"{SEED_TEXT_FILE}: the title must appear twice, found {lines[4]!r}")
    subtitle = lines[5]
    newsletter_at = lines.index(SEED_NEWSLETTER)
    related_at = lines.index(SEED_RELATED_TITLE, newsletter_at)
    close_at = lines.index(SEED_PLAYER_CLOSE, related_at)
    player = (lines[close_at - 3], lines[close_at - 2], lines[close_at - 1], lines[close_at])
    return SeedPage(
        masthead=masthead,
        title=title,
        subtitle=subtitle,
        paragraphs=lines[6:newsletter_at],
        newsletter=lines[newsletter_at],
        related_title=lines[related_at],
        player=player,
        related_headlines=lines[close_at + 1 : -1],
        modal_close=lines[-1],
    )


@cache
def seed_page() -> SeedPage:
    return parse_seed_page(SEED_TEXT_FILE.read_text(encoding="utf-8"))


def masthead_date() -> str:
    """The masthead date of the seed page ("Saturday, Nov 08, 2025"), shown on every English page."""
    return seed_page().masthead[2]


# --- assembling the demo articles ----------------------------------------------------------------------


def _load_toml(path: Path) -> list[dict]:
    with path.open("rb") as handle:
        return tomllib.load(handle)["article"]


def _default_modified(published_at: str, index: int) -> str:
    bump = timedelta(hours=1 + index % 5, minutes=7 * (index % 8))
    return format_iso(parse_iso(published_at) + bump)


def _article_from_entry(entry: dict, index: int, language: str) -> MirrorArticle:
    section_slug = ARABIC_SECTION if language == "ar" else entry["section"]
    slug = entry.get("slug") or slugify(entry["title"])
    published_at = entry["published"]
    image_stem = slugify(slug) or f"post-{FIRST_POST_ID + index}"
    return MirrorArticle(
        path=article_path(published_at, slug),
        title=entry["title"],
        subtitle=entry["subtitle"],
        paragraphs=list(entry["paragraphs"]),
        authors=list(entry["authors"]),
        published_at=published_at,
        modified_at=entry.get("modified") or _default_modified(published_at, index),
        section=SECTIONS[section_slug],
        section_slug=section_slug,
        tags=list(entry["tags"]),
        image_url=image_url_for(published_at, image_stem),
        language=language,
        post_id=FIRST_POST_ID + index,
        image_caption=_caption(language, SECTIONS[section_slug]),
    )


def _caption(language: str, section: str) -> str:
    if language == "ar":
        return "صورة: أرشيف عرب برس"
    return f"Photo: Arab Press archive ({section})"


def _seed_article() -> MirrorArticle:
    seed = seed_page()
    slug = slugify(seed.title)
    return MirrorArticle(
        path=article_path(SEED_PUBLISHED_AT, slug),
        title=seed.title,
        subtitle=seed.subtitle,
        paragraphs=list(seed.paragraphs),
        authors=list(SEED_AUTHORS),
        published_at=SEED_PUBLISHED_AT,
        modified_at=SEED_MODIFIED_AT,
        section=SECTIONS[SEED_SECTION],
        section_slug=SEED_SECTION,
        tags=list(SEED_TAGS),
        image_url=image_url_for(SEED_PUBLISHED_AT, "russia-turkey-syria-defence-ministers-moscow"),
        language="en",
        post_id=SEED_POST_ID,
        image_caption="The defence ministers of Russia, Turkey and Syria met in Moscow. Photo: Arab Press archive",
    )


def decorate_href(url: str, salt: int, position: int) -> str:
    """The href as a page writes it: some links carry tracking parameters or a fragment."""
    for divisor, suffix in TRACKING_DECORATIONS:
        if (salt + position) % divisor == 0:
            return url + suffix
    return url


def set_related(article: MirrorArticle, related: list[tuple[str, str]], salt: int) -> None:
    """Give ``article`` its related list (canonical URLs) and the hrefs the page writes for them."""
    article.related = list(related)
    article.related_hrefs = [
        decorate_href(url, salt, position) for position, (_, url) in enumerate(related, 1)
    ]


def pick_related(
    article: MirrorArticle, candidates: list[MirrorArticle], rng: random.Random
) -> list[MirrorArticle]:
    """8-15 other articles, the same section and shared tags first (as a "related posts" plugin ranks them)."""
    others = [other for other in candidates if other.path != article.path]
    count = min(len(others), rng.randint(RELATED_MIN, RELATED_MAX))
    tags = set(article.tags)

    def score(other: MirrorArticle) -> tuple[int, int, float]:
        return (-(other.section_slug == article.section_slug), -len(tags & set(other.tags)), rng.random())

    return sorted(others, key=score)[:count]


def _republished_copy(original: MirrorArticle, when: str, post_id: int) -> MirrorArticle:
    slug = original.path.rstrip("/").rsplit("/", 1)[-1]
    return replace(
        original,
        path=article_path(when, f"{slug}-2"),
        published_at=when,
        modified_at=when,
        paragraphs=list(original.paragraphs),
        kind=KIND_REPUBLISHED,
        original_path=original.path,
        post_id=post_id,
    )


def _edited_copy(original: MirrorArticle, when: str, post_id: int) -> MirrorArticle:
    copy = _republished_copy(original, when, post_id)
    index, old, new = EDITED_CHANGE
    if old not in copy.paragraphs[index]:
        raise ValueError(f"{original.url}: the edited copy's change {old!r} is not in paragraph {index}")
    copy.paragraphs[index] = copy.paragraphs[index].replace(old, new)
    copy.kind = KIND_EDITED_COPY
    return copy


def amp_copy(original: MirrorArticle) -> MirrorArticle:
    """The AMP twin of an article: same post, same text, ``<path>amp/``, canonical to the original."""
    return replace(
        original,
        path=original.path + "amp/",
        paragraphs=list(original.paragraphs),
        kind=KIND_AMP,
        original_path=original.path,
    )


def _assign_related(articles: list[MirrorArticle], seed: MirrorArticle) -> None:
    by_title = {article.title: article for article in articles if article.kind == KIND_ARTICLE}
    originals = [article for article in articles if article.kind == KIND_ARTICLE]
    for salt, article in enumerate(articles):
        if article is seed:
            related = [(title, by_title[title].url) for title in seed_page().related_headlines]
        else:
            pool = [other for other in originals if other.language == article.language]
            rng = random.Random(f"related:{article.path}")
            related = [(other.title, other.url) for other in pick_related(article, pool, rng)]
        if article.title == BROKEN_LINK_HOST_TITLE and article.kind == KIND_ARTICLE:
            related.insert(BROKEN_LINK_POSITION - 1, (BROKEN_LINK_TITLE, ORIGIN + BROKEN_LINK_PATH))
        set_related(article, related, salt)


def assign_traps(articles: list[MirrorArticle]) -> None:
    """Give every third article a "Read also" box and every fourth an inline figure."""
    for index, article in enumerate(articles):
        if index % 3 == 1 and article.related:
            title, url = article.related[-1]
            if url != ORIGIN + BROKEN_LINK_PATH:
                article.read_also = (title, url + READ_ALSO_SUFFIX)
        if index % 4 == 2:
            article.body_figure_caption = _figure_caption(article)


def _figure_caption(article: MirrorArticle) -> str:
    if article.language == "ar":
        return "صورة توضيحية من أرشيف عرب برس"
    return f"An archive picture related to {article.section.lower()} news. Photo: Arab Press"


def _check_seed_related(seed: SeedPage, entries: list[dict]) -> None:
    titles = [entry["title"] for entry in entries]
    if titles != seed.related_headlines:
        missing = [title for title in seed.related_headlines if title not in titles]
        raise ValueError(
            f"{RELATED_FILE} must hold the seed's related headlines in order; missing: {missing[:3]}"
        )


@cache
def _demo_articles() -> tuple[MirrorArticle, ...]:
    seed = seed_page()
    related_entries = _load_toml(RELATED_FILE)
    _check_seed_related(seed, related_entries)
    arabic_entries = _load_toml(ARABIC_FILE)
    seed_article = _seed_article()
    articles = [seed_article]
    articles += [_article_from_entry(entry, index, "en") for index, entry in enumerate(related_entries)]
    offset = len(related_entries)
    articles += [
        _article_from_entry(entry, offset + index, "ar") for index, entry in enumerate(arabic_entries)
    ]
    by_title = {article.title: article for article in articles}
    next_id = FIRST_POST_ID + len(articles)
    articles.append(_republished_copy(by_title[REPUBLISHED_ORIGINAL], REPUBLISHED_AT, next_id))
    articles.append(_edited_copy(by_title[EDITED_ORIGINAL], EDITED_AT, next_id + 1))
    _assign_related(articles, seed_article)
    assign_traps(articles)
    articles += [amp_copy(by_title[title]) for title in AMP_ORIGINAL_TITLES]
    return tuple(articles)


def demo_articles() -> list[MirrorArticle]:
    """Every article page of the demo mirror (originals, copies and AMP twins), seed article first.

    Returns fresh copies: callers may change them without affecting later calls.
    """
    return copy.deepcopy(list(_demo_articles()))


def seed_article() -> MirrorArticle:
    """The article of the seed page."""
    return demo_articles()[0]
