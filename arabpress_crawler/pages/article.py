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
from dataclasses import dataclass, fields
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
from arabpress_crawler.pages.limits import Cuts, apply_limits
from arabpress_crawler.pages.metadata import MetadataLayer
from arabpress_crawler.pages.refusals import Refusal, is_teaser_listing
from arabpress_crawler.pages.regions import ArticleRegions
from arabpress_crawler.pages.selectors import SiteProfile, profile_for
from arabpress_crawler.pages.site import SiteLayer
from arabpress_crawler.pages.structure import body_after_headline
from arabpress_crawler.pages.titles import seen_title

logger = logging.getLogger(__name__)

#: Layers in the order a field is tried, unless its declaration says otherwise.
LAYER_ORDER = ("site", "metadata", "generic")
#: The standfirst the reader sees, and the visible main text, come before what the metadata says.
VISIBLE_FIRST = ("site", "generic", "metadata")


@dataclass(frozen=True)
class FieldSpec:
    """How one field of :class:`ArticleItem` is extracted: the one place a field is declared.

    ``layers``: the layers it is tried in, in order. ``core``: the article is not usable without it, so the
    generic layer is always tried for it. ``by_evidence``: every layer is read and the value with the most
    evidence wins (:meth:`ArticlePage._extract_by_evidence`) rather than the first. ``post``: the name of the
    :class:`ArticlePage` method that corrects the value once every field is extracted (they run in the
    order of :data:`FIELDS`).
    """

    name: str
    layers: tuple[str, ...] = LAYER_ORDER
    core: bool = False
    by_evidence: bool = False
    post: str | None = None


#: Every field a page object fills. Adding a field: a method per layer that can give it, and one line here.
FIELDS = (
    FieldSpec("url", post="_fall_back_to_fetched_url"),
    FieldSpec("title", core=True, post="_prefer_seen_title"),
    FieldSpec("subtitle", layers=VISIBLE_FIRST, post="_drop_excerpt_subtitle"),
    FieldSpec("authors", post="_prefer_named_authors"),
    FieldSpec("body", layers=VISIBLE_FIRST, core=True, by_evidence=True, post="_trim_generic_body"),
    FieldSpec("published_at", core=True),
    FieldSpec("modified_at"),
    FieldSpec("section"),
    FieldSpec("tags"),
    FieldSpec("image_url"),
    FieldSpec("language"),
    FieldSpec("related"),
)
FIELDS_BY_NAME = {spec.name: spec for spec in FIELDS}
#: Fields without which an article is not usable; the generic layer is always tried for them.
CORE_FIELDS = tuple(spec.name for spec in FIELDS if spec.core)
#: The fields of :class:`ArticleItem` a page object fills (the spider and the pipelines fill the rest).
PAGE_FIELDS = tuple(f.name for f in fields(ArticleItem) if f.name in FIELDS_BY_NAME or f.name == "extraction")

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
        for spec in FIELDS:
            if spec.core:
                self._extract_field(spec, values, layers)
        if any(name not in values or layers[name] == "generic" for name in CORE_FIELDS):
            self.generic.thorough = True
        for spec in FIELDS:
            if not spec.core:
                self._extract_field(spec, values, layers)
        for spec in FIELDS:
            if spec.post:
                getattr(self, spec.post)(values, layers)
        apply_limits(values, self.cuts, self.url)
        return values, layers

    @cached_property
    def _layers(self) -> dict[str, SiteLayer | MetadataLayer | GenericLayer | None]:
        return {"site": self.site, "metadata": self.metadata, "generic": self.generic}

    def _layer(self, name: str) -> SiteLayer | MetadataLayer | GenericLayer | None:
        return self._layers[name]

    def _extract_field(self, spec: FieldSpec, values: dict[str, Any], layers: dict[str, str]) -> None:
        if spec.by_evidence:
            self._extract_by_evidence(spec, values, layers)
            return
        for layer in (self._layer(name) for name in spec.layers):
            method = getattr(layer, spec.name, None)
            if method is None:
                continue
            value = method()
            if value:
                values[spec.name], layers[spec.name] = value, layer.name
                return

    def _extract_by_evidence(self, spec: FieldSpec, values: dict[str, Any], layers: dict[str, str]) -> None:
        """The text with the most evidence: the first layer's unless it is a teaser of another layer's.

        A known template's selectors read the visible main text, so on its pages the generic layer is not
        run; a JSON-LD ``articleBody`` cut to a teaser loses to the visible text of the other layers.
        """
        candidates: list[tuple[str, str]] = []
        for layer_name in spec.layers:
            if layer_name == "generic" and any(found == "site" for found, _ in candidates):
                break
            layer = self._layer(layer_name)
            value = getattr(layer, spec.name)() if layer is not None else None
            if value:
                candidates.append((layer_name, value))
        if not candidates:
            return
        longest = max(len(value) for _, value in candidates)
        layer_name, value = next(
            (found, value) for found, value in candidates if len(value) >= TEASER_RATIO * longest
        )
        values[spec.name], layers[spec.name] = value, layer_name

    def _fall_back_to_fetched_url(self, values: dict[str, Any], layers: dict[str, str]) -> None:
        """The page cannot lack an address: without a canonical one, the one it was fetched from."""
        if "url" not in values:
            values["url"], layers["url"] = self.url, "generic"

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
        if layers.get("title") != "metadata":  # the template's headline is the one seen: nothing to compare
            return
        visible = self.generic.visible_headline()
        if not visible:
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
