"""The structured-metadata layer: JSON-LD, OpenGraph and ``article:*`` meta, ``<time datetime>``, canonical, lang.

It works on any news page, whatever its template. JSON-LD is read tolerantly: objects inside ``@graph`` or
top-level lists, ``@id`` references into the graph (Yoast's author and image nodes), ``@type`` lists and
``schema:`` prefixes, values of the wrong shape (a list where a string is expected and so on), and scripts
that are not valid JSON (comments, CDATA wrappers, trailing commas; beyond repair they are skipped).

Each public method returns one field of :class:`~arabpress_crawler.items.ArticleItem`, or ``None``/``[]``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from lxml import etree
from w3lib.html import replace_entities

from arabpress_crawler.dates import normalize_date
from arabpress_crawler.pages.common import (
    PARAGRAPH_SEPARATOR,
    absolute_url,
    collapse_whitespace,
    primary_language,
    unique,
)
from arabpress_crawler.pages.selectors import xpath

logger = logging.getLogger(__name__)

#: schema.org types of a single article (https://schema.org/Article and its subtypes).
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
        "TechArticle",
    }
)
#: schema.org types that mark a page as a list of articles, a person or a site, not one article.
LISTING_TYPES = frozenset({"CollectionPage", "SearchResultsPage", "ProfilePage", "ItemList"})
#: OpenGraph ``og:type`` values of an article.
OG_ARTICLE_TYPES = frozenset({"article", "news", "news.article", "blog"})
#: OpenGraph ``og:type`` values that say "not an article" (a site's home, a static page, a person).
OG_NOT_ARTICLE_TYPES = frozenset({"website", "profile", "book", "music.song", "video.other", "product"})
#: How deep JSON-LD nesting is followed (``mainEntity`` of a ``WebPage``, lists in lists).
MAX_JSON_LD_DEPTH = 4
#: Endings of descriptions that are a cut-off excerpt of the body rather than a standfirst.
EXCERPT_ENDINGS = ("…", "...", "[…]", "[...]", "&hellip;")
#: Separators sites put between a headline and their name in ``og:title`` / ``<title>``.
TITLE_SITE_SEPARATORS = (" - ", " – ", " — ", " | ", " :: ")

JSON_LD_SCRIPTS = xpath("//script[@type='application/ld+json' or @type='application/json+ld']/text()")
META_TAGS = xpath("//meta[@content][@property or @name or @itemprop]")
_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
CANONICAL = xpath(
    f"//link[@href][contains(concat(' ', normalize-space(translate(@rel, '{_UPPER}', '{_LOWER}')), ' '), ' canonical ')]"
    "/@href"
)
HTML_LANG = xpath("/html/@lang | /html/@xml:lang")
#: ``<time datetime>`` of the publication: microdata or the ``pubdate`` attribute first.
TIME_PUBLISHED = xpath("//time[@datetime][@itemprop='datePublished' or @pubdate]/@datetime")
TIME_MODIFIED = xpath(
    "//time[@datetime][@itemprop='dateModified' or contains(@class, 'updated') or contains(@class, 'modified')]"
    "/@datetime"
)
#: The first ``<time datetime>`` of the article itself; never one of the page chrome (masthead, nav, footer).
TIME_IN_ARTICLE = xpath(
    "(//article//time[@datetime] | //main//time[@datetime]"
    " | //time[@datetime][not(ancestor::header[not(ancestor::article)] or ancestor::nav or ancestor::footer"
    " or ancestor::aside)])[1]/@datetime"
)
ITEMPROP_CONTENT = {
    "published": xpath("//*[@itemprop='datePublished'][@content]/@content"),
    "modified": xpath("//*[@itemprop='dateModified'][@content]/@content"),
}

# Meta names and properties for each field, in order of preference (lower case).
META_TITLE = ("og:title", "twitter:title")
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
META_AUTHOR = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
META_SECTION = ("article:section", "parsely-section", "section")
META_KEYWORDS = ("article:tag", "news_keywords", "parsely-tags")
META_IMAGE = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
META_LANGUAGE = ("og:locale", "content-language", "language", "dc.language")

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")


def parse_json_ld(text: str, url: str) -> Any:
    """The JSON value of one ``ld+json`` script, repaired where that is safe; ``None`` when it is not JSON."""
    cleaned = _WRAPPERS.sub("", text.strip()).strip().rstrip(",")
    for candidate in (cleaned, _TRAILING_COMMA.sub(r"\1", cleaned)):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    logger.info("Skipping a JSON-LD script that is not valid JSON on %s", url)
    return None


def schema_types(node: dict[str, Any]) -> set[str]:
    """The ``@type`` names of a JSON-LD node without prefixes (``schema:NewsArticle`` → ``NewsArticle``)."""
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {re.split(r"[/:#]", value)[-1] for value in values if isinstance(value, str) and value}


def _walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every JSON-LD node reachable through lists, ``@graph`` and ``mainEntity``."""
    if depth > MAX_JSON_LD_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if isinstance(value.get(key), dict | list):
                yield from _walk(value[key], depth + 1)


def _texts(value: Any) -> list[str]:
    """The strings of a JSON-LD value: a string, a list of strings, or nodes with a ``name``/``@value``."""
    if isinstance(value, str):
        text = collapse_whitespace(replace_entities(value))
        return [text] if text else []
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, dict):
        for key in ("name", "@value"):
            if key in value:
                return _texts(value[key])
    return []


def _first(value: Any) -> str | None:
    texts = _texts(value)
    return texts[0] if texts else None


def strip_site_name(title: str, site_name: str | None) -> str:
    """``title`` without a trailing `` - Site Name`` (``og:title`` and ``<title>`` often carry one)."""
    if site_name:
        for separator in TITLE_SITE_SEPARATORS:
            suffix = f"{separator}{site_name}"
            if title.endswith(suffix) and len(title) > len(suffix):
                return title[: -len(suffix)].strip()
    return title


class MetadataLayer:
    """Fields of an article page read from its structured metadata."""

    name = "metadata"

    def __init__(self, root: etree._Element, url: str) -> None:
        self.root = root
        self.base_url = url

    # -- parsed sources -------------------------------------------------------------------------------

    @cached_property
    def json_ld_nodes(self) -> list[dict[str, Any]]:
        """Every JSON-LD node of the page, in document order."""
        nodes: list[dict[str, Any]] = []
        for script in JSON_LD_SCRIPTS(self.root):
            nodes.extend(_walk(parse_json_ld(str(script), self.base_url)))
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
        for element in META_TAGS(self.root):
            key = (
                (element.get("property") or element.get("name") or element.get("itemprop") or "")
                .strip()
                .lower()
            )
            content = collapse_whitespace(element.get("content"))
            if key and content:
                values.setdefault(key, []).append(content)
        return values

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
        return bool(self.article_node) or self.og_type() in OG_ARTICLE_TYPES

    def has_listing_type(self) -> bool:
        """JSON-LD declares a collection, search results or profile page (and no article)."""
        return not self.article_node and any(
            schema_types(node) & LISTING_TYPES for node in self.json_ld_nodes
        )

    def has_other_type(self) -> bool:
        """``og:type`` names something other than an article (``website``…) and JSON-LD declares no article."""
        return not self.article_node and self.og_type() in OG_NOT_ARTICLE_TYPES

    def og_type(self) -> str | None:
        value = self._meta_first(("og:type",))
        return value.lower() if value else None

    # -- fields ---------------------------------------------------------------------------------------

    def url(self) -> str | None:
        for href in CANONICAL(self.root):
            resolved = absolute_url(self.base_url, str(href))
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
        headline = _first(self._article("headline")) or _first(self._article("name"))
        if headline:
            return headline
        title = self._meta_first(META_TITLE)
        return strip_site_name(title, self._meta_first(("og:site_name",))) if title else None

    def subtitle(self) -> str | None:
        candidates = [_first(self._article("alternativeHeadline")), _first(self._article("description"))]
        candidates.append(self._meta_first(META_DESCRIPTION))
        for candidate in candidates:
            if candidate and not candidate.rstrip().endswith(EXCERPT_ENDINGS):
                return candidate
        return None

    def body(self) -> str | None:
        text = self.article_node.get("articleBody")
        if not isinstance(text, str):
            return None
        paragraphs = [collapse_whitespace(part) for part in re.split(r"\n+", replace_entities(text))]
        return PARAGRAPH_SEPARATOR.join(part for part in paragraphs if part) or None

    def authors(self) -> list[str]:
        names = [
            name for name in _texts(self._article("author")) if not name.startswith(("http://", "https://"))
        ]
        if not names:
            for key in META_AUTHOR:
                names.extend(v for v in self.meta.get(key, []) if not v.startswith(("http://", "https://")))
                if names:
                    break
        return unique(names)

    def published_at(self) -> str | None:
        return self._date(
            [self._article("datePublished"), self._article("dateCreated"), self._meta_first(META_PUBLISHED)],
            [ITEMPROP_CONTENT["published"], TIME_PUBLISHED, TIME_IN_ARTICLE],
        )

    def modified_at(self) -> str | None:
        return self._date(
            [self._article("dateModified"), self._meta_first(META_MODIFIED)],
            [ITEMPROP_CONTENT["modified"], TIME_MODIFIED],
        )

    def _date(self, values: list[Any], selectors: list[etree.XPath]) -> str | None:
        for value in values:
            normalized = normalize_date(_first(value))
            if normalized:
                return normalized
        for selector in selectors:
            for value in selector(self.root):
                normalized = normalize_date(str(value))
                if normalized:
                    return normalized
        return None

    def section(self) -> str | None:
        return _first(self._article("articleSection")) or self._meta_first(META_SECTION)

    def tags(self) -> list[str]:
        keywords = self._article("keywords")
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        tags = _texts(keywords)
        if not tags:
            for key in META_KEYWORDS:
                for value in self.meta.get(key, []):
                    tags.extend(value.split(",") if key != "article:tag" else [value])
                if tags:
                    break
        return unique(collapse_whitespace(tag) for tag in tags)

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
        return primary_language(_first(self._article("inLanguage"))) or primary_language(
            self._meta_first(META_LANGUAGE)
        )
