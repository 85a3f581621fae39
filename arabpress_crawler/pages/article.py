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
    element_text,
    looks_like_listing_url,
    parsed_root,
)
from arabpress_crawler.pages.generic import GenericLayer
from arabpress_crawler.pages.limits import Cuts, apply_limits
from arabpress_crawler.pages.metadata import MetadataLayer
from arabpress_crawler.pages.regions import ArticleRegions
from arabpress_crawler.pages.selectors import SiteProfile, profile_for, xpath
from arabpress_crawler.pages.site import SiteLayer
from arabpress_crawler.pages.structure import body_after_headline

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
FIELD_LAYER_ORDER = {"subtitle": ("site", "generic", "metadata")}

#: Generic article-body signals, for pages with neither metadata nor a known template.
ARTICLE_BODY = xpath("//*[@itemprop='articleBody']")
ARTICLE_ELEMENTS = xpath("//article")
#: Runs of text outside links and page chrome: paragraphs, whether in ``<p>``, ``<div>`` or between ``<br>``.
CONTENT_TEXTS = xpath(
    "//body//text()[not(ancestor::a or ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::header[not(ancestor::article)] or ancestor::nav or ancestor::footer or ancestor::aside)]"
)
HEADLINE_LINKS = xpath("//*[self::h2 or self::h3 or self::h4][.//a[@href]]")
#: A byline ("By Jane Doe - 28 December 2022") is at most this long.
MAX_BYLINE_CHARS = 120
#: A paragraph of running text has at least this many characters…
MIN_PARAGRAPH_CHARS = 60
#: …and an article body at least this many such paragraphs.
MIN_BODY_PARAGRAPHS = 3


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
        #: What the extraction cut to the size limits (:mod:`.limits`), for the spider's stats.
        self.cuts = Cuts()

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
        return GenericLayer(self.root, self.url, thorough=self.profile is None, regions=self.regions)

    # -- article or not -------------------------------------------------------------------------------

    def is_article(self) -> bool:
        """The page is one article: article metadata or an article body, and not a listing page."""
        reason = self.not_article_reason
        if reason:
            logger.debug("Not an article (%s): %s", reason, self.url)
        return reason is None

    @cached_property
    def not_article_reason(self) -> str | None:
        """Why the page is not an article (one line), or ``None`` when it is one."""
        if looks_like_listing_url(self.url):
            return "the URL is a listing: home, section, tag, author, search, pagination, feed or sitemap"
        if self.site is not None and self.site.is_not_article():
            return "the page is a listing, static page or error page of the site"
        if self.metadata.has_article_type():
            return None
        if self.metadata.has_listing_type():
            return "its JSON-LD describes a collection, search results or profile page"
        if self.metadata.has_other_type():
            return f"its og:type is {self.metadata.og_type()!r} and it declares no article"
        if self.site is not None and self.site.body():
            return None
        return self._generic_not_article_reason()

    def _generic_not_article_reason(self) -> str | None:
        if any(element_text(element) for element in ARTICLE_BODY(self.root)):
            return None
        if len(ARTICLE_ELEMENTS(self.root)) > 1:
            return "it lists several <article> elements"
        paragraphs = [text for text in CONTENT_TEXTS(self.root) if len(text.strip()) >= MIN_PARAGRAPH_CHARS]
        if len(paragraphs) < MIN_BODY_PARAGRAPHS:
            return "it has no article metadata and no body of running text"
        if len(HEADLINE_LINKS(self.root)) > len(paragraphs):
            return "it has more linked headlines than paragraphs"
        return None

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
        self._trim_generic_body(values, layers)
        apply_limits(values, self.cuts, self.url)
        if "url" not in values:  # the page cannot lack an address: keep the one it was fetched from
            values["url"], layers["url"] = self.url, "generic"
        return values, layers

    def _extract_field(self, name: str, values: dict[str, Any], layers: dict[str, str]) -> None:
        by_name = {"site": self.site, "metadata": self.metadata, "generic": self.generic}
        for layer in (by_name[layer_name] for layer_name in FIELD_LAYER_ORDER.get(name, LAYER_ORDER)):
            method = getattr(layer, name, None)
            if method is None:
                continue
            value = method()
            if value:
                values[name], layers[name] = value, layer.name
                return

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

    @staticmethod
    def _trim_generic_body(values: dict[str, Any], layers: dict[str, str]) -> None:
        """A generic body may open with the headline, the standfirst or the byline: those are fields of their own."""
        if layers.get("body") != "generic":
            return
        paragraphs = body_after_headline(values["body"].split(PARAGRAPH_SEPARATOR), values.get("title"))
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
