"""The structured-metadata layer: JSON-LD, OpenGraph and ``article:*`` meta, ``<time datetime>``, canonical, lang,
and the semantic markup of the article itself: ``rel="author"``/``"category"``/``"tag"`` links, microdata
authors and breadcrumbs (JSON-LD ``BreadcrumbList``).

It works on any news page, whatever its template. Markup is read only in the article header and article
region (:mod:`.regions`): a time or link of the masthead, the menu or a sidebar is never taken. JSON-LD is read tolerantly: objects inside ``@graph`` or
top-level lists, ``@id`` references into the graph (Yoast's author and image nodes), ``@type`` lists and
``schema:`` prefixes, values of the wrong shape (a list where a string is expected and so on), and scripts
that are not valid JSON (comments, CDATA wrappers, trailing commas; beyond repair they are skipped).

Each public method returns one field of :class:`~arabpress_crawler.items.ArticleItem`, or ``None``/``[]``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from lxml import etree
from w3lib.html import replace_entities

from arabpress_crawler.dates import normalize_date
from arabpress_crawler.pages.bylines import drop_noise, names_from_byline, strip_byline_prefix
from arabpress_crawler.pages.common import (
    PARAGRAPH_SEPARATOR,
    absolute_url,
    collapse_whitespace,
    element_text,
    lead_text,
    primary_language,
    unique,
)
from arabpress_crawler.pages.dating import article_time
from arabpress_crawler.pages.jsonld import (
    ARTICLE_TYPES,
    JSON_LD_SCRIPTS,
    LISTING_TYPES,
    OG_ARTICLE_TYPES,
    author_names,
    first_text,
    is_organisation,
    list_position,
    parse_json_ld,
    schema_types,
    texts,
    walk,
)
from arabpress_crawler.pages.limits import MAX_ARTICLE_BODY_CHARS, credible_article_body
from arabpress_crawler.pages.regions import ArticleRegions, class_matches
from arabpress_crawler.pages.selectors import XML_SPACE, xpath
from arabpress_crawler.pages.taxonomy import header_links, rel_section, rel_tags, section_from_crumbs
from arabpress_crawler.pages.titles import seen_title, strip_site_name

logger = logging.getLogger(__name__)

#: Endings of descriptions that are a cut-off excerpt of the body rather than a standfirst.
EXCERPT_ENDINGS = ("…", "...", "[…]", "[...]", "&hellip;")

_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
#: ``rel`` values are compared as XPath's ``translate()`` and ``normalize-space()`` would: ASCII letters
#: folded, tokens split on XML whitespace only (:data:`.selectors.XML_SPACE`).
_ASCII_LOWER = str.maketrans(_UPPER, _LOWER)
HTML_LANG = xpath("/html/@lang | /html/@xml:lang")
#: ``<time datetime>`` of the publication: microdata or the ``pubdate`` attribute first.
TIME_PUBLISHED = xpath("//time[@datetime][@itemprop='datePublished' or @pubdate]/@datetime")
TIME_MODIFIED = xpath("//time[@datetime][@itemprop='dateModified']/@datetime")
#: Times marked as the last update, to be paired with a publication time beside them (WordPress's
#: ``time.entry-date.published`` + ``time.updated``).
TIMES_MARKED_UPDATED = xpath("//time[@datetime][contains(@class, 'updated') or contains(@class, 'modified')]")
#: The first ``<time datetime>`` of the article itself; never one of the page chrome (masthead, nav, footer).
TIME_IN_ARTICLE = xpath(
    "(//article//time[@datetime] | //main//time[@datetime]"
    " | //time[@datetime][not(ancestor::header[not(ancestor::article)] or ancestor::nav or ancestor::footer"
    " or ancestor::aside)])[1]/@datetime"
)
#: Class words of publication and update times, and the words written before them.
PUBLISHED_CLASS_WORDS = ("published", "pubdate", "publish", "post-date", "posted")
DATE_CLASS_WORDS = ("date", "time", "entry-date", "post-date", "published")
MODIFIED_CLASS_WORDS = ("updated", "modified", "update")
PUBLISHED_LEAD_WORDS = ("published", "posted", "first published", "نشر", "تاريخ النشر")
MODIFIED_LEAD_WORDS = ("updated", "last updated", "modified", "تحديث", "آخر تحديث", "اخر تحديث", "محدث")
#: How many levels above an update time its publication time may sit.
TIME_PAIR_LEVELS = 2
ITEMPROP_CONTENT = {
    "published": xpath("//*[@itemprop='datePublished'][@content]/@content"),
    "modified": xpath("//*[@itemprop='dateModified'][@content]/@content"),
}

# Meta names and properties for each field, in order of preference (lower case).
META_TITLE = ("og:title", "twitter:title", "parsely-title", "dc.title")
META_DESCRIPTION = ("og:description", "twitter:description", "description")
META_PUBLISHED = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.created",
    "date",
)
META_MODIFIED = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "article.updated",
    "dcterms.modified",
)
META_AUTHOR = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")
#: Author meta whose content is a byline line ("By Jane Doe and John Roe"), not a name.
META_BYLINE = frozenset({"byl"})
META_SITE_NAME = ("og:site_name", "application-name", "twitter:site")
META_SECTION = ("article:section", "parsely-section", "section")
META_KEYWORDS = ("article:tag", "news_keywords", "parsely-tags")
META_IMAGE = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
META_LANGUAGE = ("og:locale", "content-language", "language", "dc.language")

def microdata_name(element: etree._Element) -> str:
    """The ``name`` of a microdata item (``itemprop="author"``), else its text."""
    for node in element.iter(etree.Element):
        if node.get("itemprop") == "name":
            return node.get("content") or element_text(node)
    return element.get("content") or element_text(element)


def _lead_text(time: etree._Element) -> str:
    """The words just before the time and its own text ("Updated: <time>…</time>"), lower-cased."""
    return lead_text(time).lower()


def _marked_published(time: etree._Element) -> bool:
    if time.get("itemprop") == "datePublished" or time.get("pubdate") is not None:
        return True
    if class_matches(time, PUBLISHED_CLASS_WORDS):
        return True
    return _lead_text(time).startswith(PUBLISHED_LEAD_WORDS)


def _marked_modified(time: etree._Element) -> bool:
    if time.get("itemprop") == "dateModified" or class_matches(time, MODIFIED_CLASS_WORDS):
        return True
    return _lead_text(time).startswith(MODIFIED_LEAD_WORDS)


def canonical_hrefs(root: etree._Element) -> Iterator[str]:
    """The ``href`` of each ``<link rel="canonical">`` of the document, in document order.

    XPath's ``//link[@href][rel has the token canonical]/@href``, read lazily: the first link, in the
    ``<head>``, is usually the one used, and the rest of the page is then never walked.
    """
    for link in root.getroottree().getroot().iter("link"):
        href, rel = link.get("href"), link.get("rel")
        if href is not None and rel and "canonical" in XML_SPACE.split(rel.translate(_ASCII_LOWER)):
            yield href


class MetadataLayer:
    """Fields of an article page read from its structured metadata."""

    name = "metadata"

    def __init__(self, root: etree._Element, url: str, regions: ArticleRegions | None = None) -> None:
        self.root = root
        self.base_url = url
        self.regions = regions if regions is not None else ArticleRegions(root)

    # -- parsed sources -------------------------------------------------------------------------------

    @cached_property
    def json_ld_nodes(self) -> list[dict[str, Any]]:
        """Every JSON-LD node of the page, in document order."""
        nodes: list[dict[str, Any]] = []
        for script in JSON_LD_SCRIPTS(self.root):
            nodes.extend(walk(parse_json_ld(str(script), self.base_url)))
        return nodes

    @cached_property
    def json_ld_ids(self) -> dict[str, dict[str, Any]]:
        """JSON-LD nodes by ``@id``, to resolve references such as ``{"@id": "…#/schema/person/1"}``."""
        return {node["@id"]: node for node in self.json_ld_nodes if isinstance(node.get("@id"), str)}

    @cached_property
    def article_node(self) -> dict[str, Any]:
        """The first JSON-LD node of an article type, or ``{}``."""
        for node in self.json_ld_nodes:
            if schema_types(node) & ARTICLE_TYPES:
                return node
        return {}

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """Meta ``content`` values by lower-cased ``property``/``name``/``itemprop``, in document order."""
        values: dict[str, list[str]] = {}
        for key, content in self._meta_items():
            values.setdefault(key, []).append(content)
        return values

    def _meta_items(self) -> Iterator[tuple[str, str]]:
        """(lower-cased ``property``/``name``/``itemprop``, ``content``) of each ``<meta>`` that has both."""
        for element in self.root.getroottree().getroot().iter("meta"):
            get = element.get
            content = get("content")
            if not content:
                continue
            key = (get("property") or get("name") or get("itemprop") or "").strip().lower()
            content = collapse_whitespace(content)
            if key and content:
                yield key, content

    def _meta_first(self, names: tuple[str, ...]) -> str | None:
        for name in names:
            if self.meta.get(name):
                return self.meta[name][0]
        return None

    def _resolve(self, value: Any) -> Any:
        """A JSON-LD value with ``@id``-only references replaced by the nodes they point to."""
        if isinstance(value, list):
            return [self._resolve(item) for item in value]
        if isinstance(value, dict) and set(value) == {"@id"}:
            return self.json_ld_ids.get(value["@id"], value)
        return value

    def _article(self, key: str) -> Any:
        return self._resolve(self.article_node.get(key))

    # -- signals --------------------------------------------------------------------------------------

    def has_article_type(self) -> bool:
        """JSON-LD declares an article, or ``og:type`` is ``article``."""
        # og:type first: it is read from the meta tags, while the JSON-LD needs parsing.
        return self.og_type() in OG_ARTICLE_TYPES or bool(self.article_node)

    def has_listing_type(self) -> bool:
        """JSON-LD declares a collection, search results or profile page (and no article)."""
        return not self.article_node and any(
            schema_types(node) & LISTING_TYPES for node in self.json_ld_nodes
        )

    def og_type(self) -> str | None:
        return self._og_type

    @cached_property
    def _og_type(self) -> str | None:
        # The first og:type, as ``meta`` holds it, without reading every other meta tag.
        value = next((content for key, content in self._meta_items() if key == "og:type"), None)
        return value.lower() if value else None

    # -- fields ---------------------------------------------------------------------------------------

    def url(self) -> str | None:
        for href in canonical_hrefs(self.root):
            resolved = absolute_url(self.base_url, href)
            if resolved:
                return resolved
        main_entity = self._article("mainEntityOfPage")
        if isinstance(main_entity, dict):
            main_entity = main_entity.get("@id") or main_entity.get("url")
        for candidate in (self._meta_first(("og:url",)), main_entity, self._article("url")):
            resolved = absolute_url(self.base_url, candidate) if isinstance(candidate, str) else None
            if resolved:
                return resolved
        return None

    def title(self) -> str | None:
        """The JSON-LD headline, else the title meta without the site's name; the one a reader sees as the
        headline (the ``<h1>``) when several are given (:func:`.titles.seen_title`)."""
        candidates = self.title_candidates()
        if not candidates:
            return None
        headline = self.regions.headline
        visible = element_text(headline) if headline is not None and headline.tag == "h1" else None
        return seen_title(candidates, visible)

    def title_candidates(self) -> list[str]:
        """Every title the metadata gives, in order of preference, site names stripped."""
        site_name = self._meta_first(("og:site_name",))
        found = [first_text(self._article("headline")), first_text(self._article("name"))]
        found += [strip_site_name(title, site_name) for name in META_TITLE for title in self.meta.get(name, [])[:1]]
        return unique(title for title in found if title)

    def subtitle(self) -> str | None:
        candidates = [first_text(self._article("alternativeHeadline")), first_text(self._article("description"))]
        candidates.append(self._meta_first(META_DESCRIPTION))
        for candidate in candidates:
            if candidate and not candidate.rstrip().endswith(EXCERPT_ENDINGS):
                return candidate
        return None

    def body(self) -> str | None:
        text = self.article_node.get("articleBody")
        if not isinstance(text, str):
            return None
        if not credible_article_body(text, self.root):
            logger.info(
                "JSON-LD articleBody of %d characters is not the page's text, ignored: %s",
                len(text),
                self.base_url,
            )
            return None
        text = text[:MAX_ARTICLE_BODY_CHARS]
        paragraphs = [collapse_whitespace(part) for part in re.split(r"\n+", replace_entities(text))]
        return PARAGRAPH_SEPARATOR.join(part for part in paragraphs if part) or None

    def authors(self) -> list[str]:
        """JSON-LD authors, else the article header's microdata or ``rel="author"`` links, else author meta.

        People come before organisations: a JSON-LD author that is only an organisation (the publisher
        again) is taken last. "Staff"-style names are kept only when no real name is given.
        """
        people, organisations = self._json_ld_authors()
        for names in (people, self._markup_authors(), self._meta_authors(), organisations):
            if names:
                return drop_noise(names, self.site_name())
        return []

    def _json_ld_authors(self) -> tuple[list[str], list[str]]:
        """Names of the JSON-LD authors that are people (or untyped), and of those that are organisations."""
        value = self._article("author")
        nodes = [self._resolve(node) for node in (value if isinstance(value, list) else [value])]
        organisations = [node for node in nodes if isinstance(node, dict) and is_organisation(node)]
        others = [node for node in nodes if node not in organisations]
        return author_names(others), author_names(organisations)

    def _markup_authors(self) -> list[str]:
        names: list[str] = []
        for element in self.regions.header:
            if element.get("itemprop") == "author":
                names.extend(names_from_byline(microdata_name(element)))
        if not names:
            for link in header_links(self.regions):
                if "author" in (link.get("rel") or "").lower().split():
                    names.extend(names_from_byline(strip_byline_prefix(element_text(link))))
        return unique(names)

    def _meta_authors(self) -> list[str]:
        for key in META_AUTHOR:
            names = [v for v in self.meta.get(key, []) if not v.startswith(("http://", "https://"))]
            if key in META_BYLINE:
                names = [name for value in names for name in names_from_byline(value)]
            if names:
                return unique(names)
        return []

    def site_name(self) -> str | None:
        """The site's own name (``og:site_name``), to tell it from an author's."""
        return self._meta_first(META_SITE_NAME)

    def published_at(self) -> str | None:
        """JSON-LD and ``article:published_time`` first; then microdata, then the article header's times."""
        return (
            self._date(
                [
                    self._article("datePublished"),
                    self._article("dateCreated"),
                    self._meta_first(META_PUBLISHED),
                ],
                [ITEMPROP_CONTENT["published"], TIME_PUBLISHED],
            )
            or self._time_value(self._header_times[0])
            or article_time(self.root, self.base_url, self.regions)
        )

    def modified_at(self) -> str | None:
        """JSON-LD and ``article:modified_time`` first; an ``updated`` time only beside a publication time."""
        return (
            self._date(
                [self._article("dateModified"), self._meta_first(META_MODIFIED)],
                [ITEMPROP_CONTENT["modified"], TIME_MODIFIED],
            )
            or self._time_value(self._header_times[1])
            or self._time_value(self._paired_update_time())
        )

    @cached_property
    def _header_times(self) -> tuple[etree._Element | None, etree._Element | None]:
        """The publication and update ``<time datetime>`` of the article header.

        A time marked as published wins; without one, the first time that is not marked as an update (else
        the first time, whatever its class: tagDiv writes ``time.entry-date.updated`` for the publication).
        An update time counts only when it is a different element from the publication time.
        """
        times = [
            element for element in self.regions.header if element.tag == "time" and element.get("datetime")
        ]
        if not times:
            return None, None
        published = [time for time in times if _marked_published(time)]
        updated = [time for time in times if _marked_modified(time) and time not in published]
        unmarked = [time for time in times if time not in updated]
        dated = [time for time in unmarked if class_matches(time, DATE_CLASS_WORDS)]
        publication = (published or dated or unmarked or times)[0]
        update = next((time for time in updated if time is not publication), None)
        return publication, update

    def _paired_update_time(self) -> etree._Element | None:
        """An update time of the article whose publication time sits beside it (a WordPress "posted on")."""
        for time in TIMES_MARKED_UPDATED(self.root):
            if _marked_published(time) or self.regions.in_chrome(time):
                continue
            node = time
            for _ in range(TIME_PAIR_LEVELS):
                node = node.getparent()
                if node is None:
                    break
                if any(other is not time and _marked_published(other) for other in node.iter("time")):
                    return time
        return None

    def _time_value(self, time: etree._Element | None) -> str | None:
        return normalize_date(time.get("datetime")) if time is not None else None

    def _date(self, values: list[Any], selectors: list[etree.XPath]) -> str | None:
        for value in values:
            normalized = normalize_date(first_text(value))
            if normalized:
                return normalized
        for selector in selectors:
            for value in selector(self.root):
                normalized = normalize_date(str(value))
                if normalized:
                    return normalized
        return None

    def section(self) -> str | None:
        """``articleSection``, ``article:section``, the header's ``rel="category"`` link, then breadcrumbs."""
        return (
            first_text(self._article("articleSection"))
            or self._meta_first(META_SECTION)
            or rel_section(self.regions)
            or self._breadcrumb_section()
        )

    def _breadcrumb_section(self) -> str | None:
        for node in self.json_ld_nodes:
            if "BreadcrumbList" in schema_types(node):
                crumbs = self._crumbs(node.get("itemListElement"))
                headline = self.regions.headline
                title = self.title() or (element_text(headline) if headline is not None else None)
                return section_from_crumbs(crumbs, title, self.url() or self.base_url)
        return None

    def _crumbs(self, items: Any) -> list[tuple[str, str | None]]:
        """(name, absolute URL) of each ``ListItem`` of a breadcrumb list, in ``position`` order."""
        entries = [self._resolve(item) for item in (items if isinstance(items, list) else [])]
        entries = [entry for entry in entries if isinstance(entry, dict)]
        entries.sort(key=lambda entry: list_position(entry.get("position")))
        crumbs = []
        for entry in entries:
            target = self._resolve(entry.get("item"))
            name = first_text(entry.get("name")) or (first_text(target) if isinstance(target, dict) else None)
            if isinstance(target, dict):
                target = target.get("@id") or target.get("url")
            url = absolute_url(self.base_url, target) if isinstance(target, str) else None
            if name:
                crumbs.append((name, url))
        return crumbs

    def tags(self) -> list[str]:
        """JSON-LD ``keywords``, ``article:tag`` and keyword meta, then the article's ``rel="tag"`` links."""
        keywords = self._article("keywords")
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        tags = texts(keywords)
        if not tags:
            for key in META_KEYWORDS:
                for value in self.meta.get(key, []):
                    tags.extend(value.split(",") if key != "article:tag" else [value])
                if tags:
                    break
        return unique(collapse_whitespace(tag) for tag in tags) or rel_tags(self.regions)

    def image_url(self) -> str | None:
        for candidate in (self._article("image"), self._article("thumbnailUrl")):
            for value in candidate if isinstance(candidate, list) else [candidate]:
                value = self._resolve(value)
                if isinstance(value, dict):
                    value = value.get("url") or value.get("contentUrl")
                resolved = absolute_url(self.base_url, value) if isinstance(value, str) else None
                if resolved:
                    return resolved
        image = self._meta_first(META_IMAGE)
        return absolute_url(self.base_url, image) if image else None

    def language(self) -> str | None:
        for value in HTML_LANG(self.root):
            language = primary_language(str(value))
            if language:
                return language
        return primary_language(first_text(self._article("inLanguage"))) or primary_language(
            self._meta_first(META_LANGUAGE)
        )
