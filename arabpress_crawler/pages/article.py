"""``ArticlePage``: one article page in, one :class:`~arabpress_crawler.items.ArticleItem` out.

Extraction is a pure function of a Scrapy ``HtmlResponse``: no request is built, nothing is fetched.
Each field is taken from the first layer that gives it:

1. ``site`` — the selectors of a known template (:mod:`.selectors`, :mod:`.site`);
2. ``metadata`` — JSON-LD, OpenGraph, ``article:*``, ``<time>``, canonical, ``<html lang>``, and the
   semantic markup of the article: ``rel="author"``/``"category"``/``"tag"``, breadcrumbs (:mod:`.metadata`);
3. ``generic`` — template-free heuristics (standfirst, byline, section and tag links, the related list under
   its heading), trafilatura and htmldate (:mod:`.generic`).

One field departs from that order: the ``subtitle`` is the standfirst the reader sees under the headline
(generic) before the meta description (metadata), which is often an SEO summary or the body's first lines.

``item.extraction`` records the layer of every field that has a value. trafilatura is slow, so on a page of
a known template it runs only when a core field (title, body, publication date) is missing: there, a missing
optional field (no standfirst, no tags) is taken as absent from the page rather than looked for elsewhere.
On a page of an unknown template every layer is tried for every field.

The body is chosen by evidence rather than by order: every layer's text is read and the first (site, then the
visible main text, then JSON-LD ``articleBody``) wins unless it is a teaser of another (shorter than
:data:`TEASER_RATIO` of the longest). A page is refused only on positive evidence (:mod:`.refusals`).
"""

from __future__ import annotations

import logging
from dataclasses import fields
from functools import cached_property
from typing import Any

from scrapy.http import HtmlResponse

from arabpress_crawler.dates import normalize_date
from arabpress_crawler.items import ArticleItem, RelatedHeadline
from arabpress_crawler.pages.bylines import is_noise
from arabpress_crawler.pages.common import (
    PARAGRAPH_SEPARATOR,
    collapse_whitespace,
    looks_like_listing_url,
    parsed_root,
)
from arabpress_crawler.pages.generic import GenericLayer
from arabpress_crawler.pages.metadata import MetadataLayer
from arabpress_crawler.pages.refusals import Refusal, is_teaser_listing
from arabpress_crawler.pages.regions import ArticleRegions
from arabpress_crawler.pages.selectors import SiteProfile, profile_for
from arabpress_crawler.pages.site import SiteLayer
from arabpress_crawler.pages.titles import seen_title

logger = logging.getLogger(__name__)

#: Fields without which an article is not usable; the generic layer is always tried for them.
CORE_FIELDS = ("title", "body", "published_at")
#: Other fields the page object fills, in the order of :class:`ArticleItem`.
OPTIONAL_FIELDS = (
    "url",
    "subtitle",
    "authors",
    "modified_at",
    "section",
    "tags",
    "image_url",
    "language",
    "related",
)
#: The fields of :class:`ArticleItem` a page object fills (the spider and the pipelines fill the rest).
PAGE_FIELDS = tuple(
    f.name for f in fields(ArticleItem) if f.name in CORE_FIELDS + OPTIONAL_FIELDS + ("extraction",)
)

#: Layers in the order each field is tried; fields not listed follow :data:`LAYER_ORDER`.
LAYER_ORDER = ("site", "metadata", "generic")
FIELD_LAYER_ORDER = {"subtitle": ("site", "generic", "metadata"), "body": ("site", "generic", "metadata")}

#: Fields whose layers are all read and compared (:meth:`ArticlePage._extract_by_evidence`).
MOST_EVIDENCE_FIELDS = frozenset({"body"})
#: A text shorter than this share of the longest candidate is a teaser of it.
TEASER_RATIO = 0.6
#: A byline ("By Jane Doe - 28 December 2022") is at most this long.
MAX_BYLINE_CHARS = 120


def item_to_dict(item: ArticleItem) -> dict[str, Any]:
    """The page-object fields of ``item`` as plain JSON-ready data (``related`` as dicts), in item order."""
    data: dict[str, Any] = {}
    for name in PAGE_FIELDS:
        value = getattr(item, name)
        if name == "related":
            value = [{"title": h.title, "url": h.url, "position": h.position} for h in value]
        data[name] = value
    return data


def _is_heading_or_byline(paragraph: str, values: dict[str, Any]) -> bool:
    """``paragraph`` is the title, the standfirst, the section, or a short line naming the author or the date."""
    if paragraph in (values.get("title"), values.get("subtitle"), values.get("section")):
        return True
    if len(paragraph) > MAX_BYLINE_CHARS:
        return False
    return (
        any(name in paragraph for name in values.get("authors", [])) or normalize_date(paragraph) is not None
    )


class ArticlePage:
    """The article extraction of one response."""

    def __init__(self, response: HtmlResponse) -> None:
        self.response = response
        self.url = response.url
        self.root = parsed_root(response)

    @cached_property
    def profile(self) -> SiteProfile | None:
        return profile_for(self.root)

    @cached_property
    def site(self) -> SiteLayer | None:
        return SiteLayer(self.root, self.url, self.profile) if self.profile else None

    @cached_property
    def regions(self) -> ArticleRegions:
        return ArticleRegions(self.root)

    @cached_property
    def metadata(self) -> MetadataLayer:
        return MetadataLayer(self.root, self.url, self.regions)

    @cached_property
    def generic(self) -> GenericLayer:
        return GenericLayer(
            self.root, self.url, thorough=self.profile is None, regions=self.regions, text=self.response.text
        )

    # -- article or not -------------------------------------------------------------------------------

    def is_article(self) -> bool:
        """The page is one article: not a listing, not a page of the site that is none, and some text to store."""
        refusal = self.refusal
        if refusal is not None:
            logger.debug("Not an article (%s): %s", refusal.message, self.url)
        return refusal is None

    @cached_property
    def refusal(self) -> Refusal | None:
        """Why the page is not an article (see :mod:`.refusals`), or ``None`` when it is one.

        Only positive evidence refuses: a listing URL, the site's own listing/static/error pages, a JSON-LD
        collection without an article, same-shaped teasers with no running text of the page's own; or no
        layer finding any text at all. ``og:type``, several ``<article>`` elements or little markup alone
        never refuse.
        """
        if looks_like_listing_url(self.url):
            return Refusal.LISTING_URL
        if self.site is not None and self.site.is_not_article():
            return Refusal.SITE_PAGE
        if not self.metadata.has_article_type():
            if self.metadata.has_listing_type():
                return Refusal.COLLECTION
            if is_teaser_listing(self.root, self.regions):
                return Refusal.TEASERS
        if "body" not in self._extraction[0]:
            return Refusal.NO_TEXT
        return None

    @property
    def not_article_reason(self) -> str | None:
        """Why the page is not an article (one line), or ``None`` when it is one."""
        return self.refusal.message if self.refusal is not None else None

    # -- extraction -----------------------------------------------------------------------------------

    @cached_property
    def _extraction(self) -> tuple[dict[str, Any], dict[str, str]]:
        values: dict[str, Any] = {}
        layers: dict[str, str] = {}
        for name in CORE_FIELDS:
            self._extract_field(name, values, layers)
        if any(name not in values for name in CORE_FIELDS) or any(
            layers.get(n) == "generic" for n in CORE_FIELDS
        ):
            self.generic.thorough = True
        for name in OPTIONAL_FIELDS:
            self._extract_field(name, values, layers)
        self._drop_excerpt_subtitle(values, layers)
        self._prefer_named_authors(values, layers)
        self._prefer_seen_title(values, layers)
        self._trim_generic_body(values, layers)
        if "url" not in values:  # the page cannot lack an address: keep the one it was fetched from
            values["url"], layers["url"] = self.url, "generic"
        return values, layers

    def _extract_field(self, name: str, values: dict[str, Any], layers: dict[str, str]) -> None:
        if name in MOST_EVIDENCE_FIELDS:
            self._extract_by_evidence(name, values, layers)
            return
        by_name = {"site": self.site, "metadata": self.metadata, "generic": self.generic}
        for layer in (by_name[layer_name] for layer_name in FIELD_LAYER_ORDER.get(name, LAYER_ORDER)):
            method = getattr(layer, name, None)
            if method is None:
                continue
            value = method()
            if value:
                values[name], layers[name] = value, layer.name
                return

    def _extract_by_evidence(self, name: str, values: dict[str, Any], layers: dict[str, str]) -> None:
        """The text with the most evidence: the first layer's unless it is a teaser of another layer's.

        A known template's selectors read the visible main text, so on its pages the generic layer is not
        run; a JSON-LD ``articleBody`` cut to a teaser loses to the visible text of the other layers.
        """
        candidates: list[tuple[str, str]] = []
        for layer_name in FIELD_LAYER_ORDER.get(name, LAYER_ORDER):
            if layer_name == "generic" and any(found == "site" for found, _ in candidates):
                break
            layer = {"site": self.site, "metadata": self.metadata, "generic": self.generic}[layer_name]
            value = getattr(layer, name)() if layer is not None else None
            if value:
                candidates.append((layer_name, value))
        if not candidates:
            return
        longest = max(len(value) for _, value in candidates)
        layer_name, value = next(
            (found, value) for found, value in candidates if len(value) >= TEASER_RATIO * longest
        )
        values[name], layers[name] = value, layer_name

    @staticmethod
    def _drop_excerpt_subtitle(values: dict[str, Any], layers: dict[str, str]) -> None:
        """A subtitle that only repeats the start of the body is an excerpt or the first paragraph: dropped.

        Only a visible standfirst opening a generic body stays: trafilatura took the standfirst into the
        body, and :meth:`_trim_generic_body` takes it out again.
        """
        subtitle, body = values.get("subtitle"), values.get("body")
        if layers.get("subtitle") == "site" or not subtitle or not body:
            return
        if layers.get("subtitle") == layers.get("body") == "generic":
            return
        if collapse_whitespace(body).startswith(subtitle.rstrip(" .…")):
            del values["subtitle"], layers["subtitle"]

    def _prefer_named_authors(self, values: dict[str, Any], layers: dict[str, str]) -> None:
        """Metadata that names only the site or a desk as author gives way to the names of the visible byline
        (a JSON-LD ``"author": {"@type": "NewsMediaOrganization"}`` above "By Nadia Karim")."""
        if layers.get("authors") != "metadata":
            return
        site_name = self.metadata.site_name()
        if not all(is_noise(name, site_name) for name in values["authors"]):
            return
        named = [name for name in self.generic.authors() if not is_noise(name, site_name)]
        if named:
            values["authors"], layers["authors"] = named, "generic"

    def _prefer_seen_title(self, values: dict[str, Any], layers: dict[str, str]) -> None:
        """Among the metadata's titles and the page's ``<title>``, the one a reader sees as the headline (the
        ``<h1>``): ``og:title`` without the site name, never a JSON-LD ``headline`` that is a description."""
        visible = self.generic.visible_headline()
        if layers.get("title") != "metadata" or not visible:
            return
        from_metadata = self.metadata.title_candidates()
        chosen = seen_title([*from_metadata, *self.generic.page_titles()], visible)
        if chosen != values["title"]:
            values["title"], layers["title"] = chosen, "metadata" if chosen in from_metadata else "generic"

    @staticmethod
    def _trim_generic_body(values: dict[str, Any], layers: dict[str, str]) -> None:
        """A generic body may open with the headline, the standfirst or the byline: those are fields of their own."""
        if layers.get("body") != "generic":
            return
        paragraphs = values["body"].split(PARAGRAPH_SEPARATOR)
        while len(paragraphs) > 1 and _is_heading_or_byline(paragraphs[0], values):
            paragraphs.pop(0)
        values["body"] = PARAGRAPH_SEPARATOR.join(paragraphs)

    def to_item(self) -> ArticleItem | None:
        """The article of the page, or ``None`` when the page is not an article."""
        if not self.is_article():
            return None
        values, layers = self._extraction
        missing = [name for name in CORE_FIELDS if name not in values]
        if missing:
            logger.warning("Article without %s on %s", ", ".join(missing), self.url)
        ordered = {name: layers[name] for name in PAGE_FIELDS if name in layers}
        # Fresh lists: the pipelines may change the item without changing this page's cached extraction.
        fields_ = {name: list(value) if isinstance(value, list) else value for name, value in values.items()}
        return ArticleItem(**fields_, extraction=ordered)

    def related(self) -> list[RelatedHeadline]:
        """The page's related headlines (title, absolute URL, 1-based position), in page order; none off articles."""
        if not self.is_article():
            return []
        return list(self._extraction[0].get("related", []))

    def related_urls(self) -> list[str]:
        """The URLs of the related headlines, to follow."""
        return [headline.url for headline in self.related()]
