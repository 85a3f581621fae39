"""JSON-LD read tolerantly: the schema.org types of articles and listings, parsing with safe repairs, and the
walk over ``@graph``, lists and ``mainEntity`` (used by :mod:`.metadata`).

Values of the wrong shape (a list where a string is expected, nodes with a ``name``) are read as text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from w3lib.html import replace_entities

from arabpress_crawler.pages.common import collapse_whitespace, unique
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
#: How deep JSON-LD nesting is followed (``mainEntity`` of a ``WebPage``, lists in lists).
MAX_JSON_LD_DEPTH = 4
JSON_LD_SCRIPTS = xpath("//script[@type='application/ld+json' or @type='application/json+ld']/text()")

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


def walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every JSON-LD node reachable through lists, ``@graph`` and ``mainEntity``."""
    if depth > MAX_JSON_LD_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from walk(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if isinstance(value.get(key), dict | list):
                yield from walk(value[key], depth + 1)


def texts(value: Any) -> list[str]:
    """The strings of a JSON-LD value: a string, a list of strings, or nodes with a ``name``/``@value``."""
    if isinstance(value, str):
        text = collapse_whitespace(replace_entities(value))
        return [text] if text else []
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [text for item in value for text in texts(item)]
    if isinstance(value, dict):
        for key in ("name", "@value"):
            if key in value:
                return texts(value[key])
    return []


def first_text(value: Any) -> str | None:
    found = texts(value)
    return found[0] if found else None


def author_names(nodes: list[Any]) -> list[str]:
    return unique(name for name in texts(nodes) if not name.startswith(("http://", "https://")))


def is_organisation(node: dict[str, Any]) -> bool:
    """A JSON-LD node typed as an organisation (``Organization``, ``NewsMediaOrganization``…), not a person."""
    types = schema_types(node)
    return bool(types) and "Person" not in types and any("Organization" in name for name in types)


def list_position(value: Any) -> float:
    """A ``ListItem``'s ``position`` as a number (items without one go last)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("inf")
