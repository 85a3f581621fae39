"""The site layer: fields read with the selectors of a known template (:mod:`arabpress_crawler.pages.selectors`).

It is the fastest and most precise layer, and it knows nothing beyond its profile: where a selector finds
nothing, the field falls through to the metadata layer.
"""

from __future__ import annotations

import logging
from functools import cached_property

from lxml import etree

from arabpress_crawler.dates import normalize_date
from arabpress_crawler.items import RelatedHeadline
from arabpress_crawler.pages.common import (
    PARAGRAPH_SEPARATOR,
    absolute_url,
    element_text,
    first_text,
    unique,
)
from arabpress_crawler.pages.limits import RELATED_LINKS_READ
from arabpress_crawler.pages.selectors import SiteProfile, paragraph_blocks, related_links

logger = logging.getLogger(__name__)


def body_paragraphs(container: etree._Element, boilerplate: etree.XPath) -> list[str]:
    """The text of each paragraph under ``container``, leaving out ``boilerplate`` elements and their content."""
    removed = frozenset(boilerplate(container))
    paragraphs = []
    for block in paragraph_blocks(container):
        if removed and _inside(block, removed, container):
            continue
        text = element_text(block, skip=removed)
        if text:
            paragraphs.append(text)
    return paragraphs


def _inside(element: etree._Element, ancestors: frozenset[etree._Element], stop: etree._Element) -> bool:
    node: etree._Element | None = element
    while node is not None and node is not stop:
        if node in ancestors:
            return True
        node = node.getparent()
    return False


class SiteLayer:
    """Fields of an article page in the template of ``profile``."""

    name = "site"

    def __init__(self, root: etree._Element, url: str, profile: SiteProfile) -> None:
        self.root = root
        self.base_url = url
        self.profile = profile

    @cached_property
    def article(self) -> etree._Element:
        """The article element of the template, or the whole page when the template has none."""
        found = self.profile.article(self.root)
        return found[0] if found else self.root

    def is_not_article(self) -> bool:
        """The ``<body>`` classes say listing (home, archive, search, pagination), static page or error page."""
        for body in self.root.iter("body"):
            return bool(set((body.get("class") or "").split()) & self.profile.not_article_body_classes)
        return False

    def title(self) -> str | None:
        return first_text(self.profile.title(self.article))

    def subtitle(self) -> str | None:
        return first_text(self.profile.subtitle(self.article))

    def body(self) -> str | None:
        return self._body

    @cached_property
    def _body(self) -> str | None:
        for container in self.profile.body(self.article):
            paragraphs = body_paragraphs(container, self.profile.boilerplate)
            if paragraphs:
                return PARAGRAPH_SEPARATOR.join(paragraphs)
        return None

    def authors(self) -> list[str]:
        return unique(element_text(element) for element in self.profile.authors(self.article))

    def published_at(self) -> str | None:
        return self._date(self.profile.published)

    def modified_at(self) -> str | None:
        return self._date(self.profile.modified)

    def _date(self, selector: etree.XPath) -> str | None:
        for value in selector(self.article):
            normalized = normalize_date(str(value))
            if normalized:
                return normalized
            logger.debug("Unparseable date %r in the template on %s", str(value), self.base_url)
        return None

    def section(self) -> str | None:
        return first_text(self.profile.section(self.article))

    def tags(self) -> list[str]:
        return unique(element_text(element) for element in self.profile.tags(self.article))

    def image_url(self) -> str | None:
        for value in self.profile.image(self.article):
            resolved = absolute_url(self.base_url, str(value))
            if resolved:
                return resolved
        return None

    def related(self) -> list[RelatedHeadline]:
        headlines: list[RelatedHeadline] = []
        for link in related_links(self.profile, self.root):
            url = absolute_url(self.base_url, link.get("href"))
            title = element_text(link)
            if url and title:
                headlines.append(RelatedHeadline(title=title, url=url, position=len(headlines) + 1))
                if len(headlines) >= RELATED_LINKS_READ:
                    break  # the page object cuts the list and reports it
        return headlines
