"""Public URLs of the mirror's author, tag and section pages (every absolute URL uses ``ORIGIN``)."""

from __future__ import annotations

from arabpress_mirror.content import AUTHOR_SLUGS, ORIGIN, quote_path, slugify, term_slug


def author_url(name: str) -> str:
    return f"{ORIGIN}/author/{AUTHOR_SLUGS.get(name) or slugify(name) or 'staff'}/"


def tag_url(name: str) -> str:
    return ORIGIN + quote_path(f"/tag/{term_slug(name)}/")


def section_url(slug: str) -> str:
    return f"{ORIGIN}/category/{slug}/"
