"""Writing an article's "Related Articles" list: the headlines it links to and their search copies.

A few statements per article whatever the length of its list; an unchanged list only marks its headlines
seen. Used by :class:`arabpress_crawler.db.writers.ArticleWriter` inside its batch transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from arabpress_crawler.items import RelatedHeadline
from arabpress_crawler.search import search_text

#: URLs per query of :func:`stored_headlines` (well under SQLite's limit on bound parameters).
HEADLINES_CHUNK = 500


def stored_headlines(conn: sqlite3.Connection, urls: Sequence[str]) -> dict[str, tuple[str | None, str]]:
    """URL → (stored title, last seen) of the headlines among ``urls`` that are stored, a query per chunk."""
    found: dict[str, tuple[str | None, str]] = {}
    for start in range(0, len(urls), HEADLINES_CHUNK):
        chunk = urls[start : start + HEADLINES_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(f"SELECT url, title, last_seen_at FROM headlines WHERE url IN ({marks})", list(chunk))
        found.update((url, (title, seen)) for url, title, seen in rows)
    return found


def touch_related_headlines(conn: sqlite3.Connection, article_url: str, now: str) -> None:
    """Mark the headlines ``article_url`` links to as seen ``now``."""
    conn.execute(
        "UPDATE headlines SET last_seen_at = ? WHERE url IN"
        " (SELECT headline_url FROM related_headlines WHERE article_url = ?)",
        (now, article_url),
    )


def related_unchanged(
    conn: sqlite3.Connection, article_url: str, wanted: list[tuple[str, int, str | None]], now: str
) -> bool:
    """True (and the headlines marked seen) when the article's stored related list is ``wanted``."""
    stored = conn.execute(
        "SELECT headline_url, position, title FROM related_headlines WHERE article_url = ? ORDER BY position",
        (article_url,),
    ).fetchall()
    if sorted(stored, key=lambda r: r[1]) != sorted(wanted, key=lambda r: r[1]):
        return False
    if wanted:
        touch_related_headlines(conn, article_url, now)
    return True


def replace_related(
    conn: sqlite3.Connection, article_url: str, wanted: list[tuple[str, int, str | None]], now: str
) -> None:
    """Replace the article's related list by ``wanted`` ``(url, position, title)`` (first of a URL wins)."""
    conn.execute("DELETE FROM related_headlines WHERE article_url = ?", (article_url,))
    entries: dict[str, tuple[int, str | None]] = {}
    for url, position, title in wanted:
        entries.setdefault(url, (position, title))  # the first occurrence of a URL wins
    upsert_headlines(conn, [(url, title) for url, (_, title) in entries.items()], now)
    conn.executemany(
        "INSERT INTO related_headlines(article_url, headline_url, position, title) VALUES (?, ?, ?, ?)",
        [(article_url, url, position, title) for url, (position, title) in entries.items()],
    )


def wanted_related(related: Sequence[RelatedHeadline]) -> list[tuple[str, int, str | None]]:
    """The ``(url, position, title)`` rows an item's related list asks for (links without a URL left out)."""
    return [(r.url, r.position, r.title) for r in related if r.url]


def upsert_headlines(conn: sqlite3.Connection, entries: Sequence[tuple[str, str | None]], now: str) -> None:
    """Insert or refresh the headlines ``(url, title)`` (distinct URLs), in order, with a few statements.

    A new headline is inserted; a known one keeps its title unless a new one is given, and is seen ``now``.
    The search copy is written for new headlines and for changed titles. A known headline whose title
    stays and that was already seen ``now`` (by an article fetched in the same second) is left as it is.
    """
    stored = stored_headlines(conn, [url for url, _ in entries])
    old = {url: title for url, (title, _) in stored.items()}
    conn.executemany(
        "INSERT INTO headlines(url, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
        [(url, title, now, now) for url, title in entries if url not in old],
    )
    conn.executemany(
        "UPDATE headlines SET title = ?, last_seen_at = ? WHERE url = ?",
        [
            (title or old[url], now, url)
            for url, title in entries
            if url in stored and ((title or old[url]) != old[url] or stored[url][1] != now)
        ],
    )
    searched = [
        (search_text(title or old.get(url)), url)
        for url, title in entries
        if url not in old or (title or old[url]) != old[url]
    ]
    conn.executemany(
        "INSERT INTO headlines_search(headline_rowid, url, title) SELECT rowid, url, ? FROM headlines WHERE url = ?"
        " ON CONFLICT(headline_rowid) DO UPDATE SET url = excluded.url, title = excluded.title",
        searched,
    )
