"""The JSON-LD of the mirror's pages, as Yoast SEO writes it: a ``@graph`` per page."""

from __future__ import annotations

import json
from collections.abc import Sequence

from markupsafe import Markup

from arabpress_mirror.content import ORIGIN, SITE_NAME, TAGLINE, MirrorArticle
from arabpress_mirror.dates import iso_with_offset
from arabpress_mirror.images import IMAGE_HEIGHT, IMAGE_WIDTH
from arabpress_mirror.urls import author_url, section_url


def json_ld(graph: dict) -> Markup:
    """JSON for a ``<script>`` element: compact, UTF-8, with ``</`` escaped."""
    text = json.dumps(graph, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("</", "<\\/"))


WEBSITE_ID = f"{ORIGIN}/#website"
ORGANIZATION_ID = f"{ORIGIN}/#organization"


def _site_nodes(language: str) -> list[dict]:
    return [
        {
            "@type": "WebSite",
            "@id": WEBSITE_ID,
            "url": f"{ORIGIN}/",
            "name": SITE_NAME,
            "description": TAGLINE,
            "publisher": {"@id": ORGANIZATION_ID},
            "inLanguage": "en-US",
        },
        {
            "@type": "Organization",
            "@id": ORGANIZATION_ID,
            "name": SITE_NAME,
            "url": f"{ORIGIN}/",
            "logo": {"@type": "ImageObject", "url": f"{ORIGIN}/wp-content/uploads/logo.png"},
        },
    ]


def _breadcrumbs(url: str, crumbs: Sequence[tuple[str, str | None]]) -> dict:
    items = []
    for position, (name, item_url) in enumerate(crumbs, 1):
        entry = {"@type": "ListItem", "position": position, "name": name}
        if item_url:
            entry["item"] = item_url
        items.append(entry)
    return {"@type": "BreadcrumbList", "@id": f"{url}#breadcrumb", "itemListElement": items}


def article_graph(article: MirrorArticle) -> dict:
    """Yoast's ``@graph`` for a post: NewsArticle, WebPage, BreadcrumbList, WebSite, Organization."""
    url = article.canonical_url
    language = "ar" if article.language == "ar" else "en-US"
    published, modified = iso_with_offset(article.published_at), iso_with_offset(article.modified_at)
    news_article = {
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "isPartOf": {"@id": url},
        "author": [{"@type": "Person", "name": name, "url": author_url(name)} for name in article.authors],
        "headline": article.title,
        "description": article.subtitle,
        "datePublished": published,
        "dateModified": modified,
        "mainEntityOfPage": {"@id": url},
        "publisher": {"@id": ORGANIZATION_ID},
        "image": {
            "@type": "ImageObject",
            "@id": f"{url}#primaryimage",
            "url": article.image_url,
            "width": IMAGE_WIDTH,
            "height": IMAGE_HEIGHT,
            "caption": article.image_caption,
        },
        "thumbnailUrl": article.image_url,
        "keywords": list(article.tags),
        "articleSection": [article.section],
        "inLanguage": language,
    }
    web_page = {
        "@type": "WebPage",
        "@id": url,
        "url": url,
        "name": f"{article.title} - {SITE_NAME}",
        "isPartOf": {"@id": WEBSITE_ID},
        "primaryImageOfPage": {"@id": f"{url}#primaryimage"},
        "datePublished": published,
        "dateModified": modified,
        "breadcrumb": {"@id": f"{url}#breadcrumb"},
        "inLanguage": language,
    }
    crumbs = [
        ("Home", f"{ORIGIN}/"),
        (article.section, section_url(article.section_slug)),
        (article.title, None),
    ]
    graph = [news_article, web_page, _breadcrumbs(url, crumbs), *_site_nodes(article.language)]
    return {"@context": "https://schema.org", "@graph": graph}


def collection_graph(url: str, name: str, crumbs: Sequence[tuple[str, str | None]], page_type: str) -> dict:
    """The graph of a listing (``CollectionPage``) or a plain page (``WebPage``): no article node."""
    page = {
        "@type": page_type,
        "@id": url,
        "url": url,
        "name": name,
        "isPartOf": {"@id": WEBSITE_ID},
        "breadcrumb": {"@id": f"{url}#breadcrumb"},
        "inLanguage": "en-US",
    }
    return {"@context": "https://schema.org", "@graph": [page, _breadcrumbs(url, crumbs), *_site_nodes("en")]}
