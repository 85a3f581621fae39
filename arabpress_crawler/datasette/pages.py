"""How datasette's table and row pages of an arabpress database show the news.

- Metadata for every served arabpress database (one with ``articles`` and ``crawl_runs`` tables), from the
  bundled ``metadata.json``, through datasette's ``get_metadata`` hook: plain ``datasette file.db`` gets the
  descriptions, facets, canned queries and search settings that ``arabpress serve`` gets.
- The ``articles`` table page opens on the news columns (:data:`NEWS_COLUMNS`): an ASGI wrapper adds
  datasette's own ``?_col=`` parameters to a bare HTML request of that page, so every other column (hashes,
  extraction JSON, fetch metadata) stays one click away ("all columns") and the JSON API is unchanged.
- Titles link to their row page.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import urllib.parse
import weakref
from pathlib import Path
from typing import Any

import markupsafe
import sqlite_utils
from datasette import hookimpl
from datasette.utils import path_from_row_pks

from arabpress_crawler.datasette import build_metadata_for
from arabpress_crawler.db.connection import connect_readonly
from arabpress_crawler.search import SYNTAX

logger = logging.getLogger(__name__)

ARTICLES = "articles"
#: The columns the articles table shows first (the primary key ``url`` is always there: it is the link).
NEWS_COLUMNS = ("title", "published_at", "section", "language", "authors", "word_count")
SEARCH_HELP = markupsafe.Markup(
    "Search accepts {}. Arabic words are found as typed: <bdi lang=\"ar\">قهوة</bdi> finds"
    " <bdi lang=\"ar\">القهوة</bdi>, <bdi lang=\"ar\">مترو</bdi> finds <bdi lang=\"ar\">لمترو</bdi>."
).format(SYNTAX)
#: Tables that make a database an arabpress database.
REQUIRED_TABLES = frozenset({"articles", "crawl_runs"})
INTERNAL_DATABASES = frozenset({"_internal", "_memory"})
#: Query parameters that already choose the columns: the page is shown as asked.
COLUMN_PARAMETERS = frozenset({"_col", "_nocol"})

# Per datasette instance, per database name: is it an arabpress database? (A file's tables do not change.)
_KNOWN: weakref.WeakKeyDictionary[Any, dict[str, bool]] = weakref.WeakKeyDictionary()


def _has_arabpress_tables(path: str | None) -> bool:
    if not path or not Path(path).is_file():
        return False
    try:
        conn = connect_readonly(path)
    except sqlite3.Error:
        return False
    try:
        names = set(sqlite_utils.Database(conn).table_names())
    except sqlite3.DatabaseError as error:
        logger.warning("cannot read the tables of %s: %s", path, error)
        return False
    finally:
        conn.close()
    return REQUIRED_TABLES <= names


def arabpress_databases(datasette: Any) -> list[str]:
    """The names of the served databases that an arabpress crawl wrote."""
    known = _KNOWN.setdefault(datasette, {})
    names = []
    for name, database in list(datasette.databases.items()):
        if name in INTERNAL_DATABASES:
            continue
        if name not in known:
            known[name] = _has_arabpress_tables(getattr(database, "path", None))
        if known[name]:
            names.append(name)
    return names


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    names = arabpress_databases(datasette)
    return build_metadata_for(names) if names else {}


# --- the articles table opens on the news columns -------------------------------------------------


def news_query_string(query_string: bytes) -> bytes:
    """``query_string`` with the news columns added, unless it already chooses columns."""
    pairs = urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    if any(name in COLUMN_PARAMETERS for name, _ in pairs):
        return query_string
    pairs += [("_col", column) for column in NEWS_COLUMNS]
    return urllib.parse.urlencode(pairs).encode("latin-1")


def _articles_paths(datasette: Any) -> set[str]:
    return {str(datasette.urls.table(name, ARTICLES)) for name in arabpress_databases(datasette)}


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def news_first(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("path") in _articles_paths(datasette):
                scope = {**scope, "query_string": news_query_string(scope.get("query_string", b""))}
            await app(scope, receive, send)

        return news_first

    return wrap


async def all_columns_url(datasette: Any, request: Any, database: str) -> str:
    """The articles page as currently filtered, with every column listed explicitly."""
    columns = await datasette.get_database(database).table_columns(ARTICLES)
    pairs = [(name, value) for name in request.args for value in request.args.getlist(name)] if request else []
    pairs = [(name, value) for name, value in pairs if name not in COLUMN_PARAMETERS | {"_next"}]
    pairs += [("_col", column) for column in columns]
    return f"{datasette.urls.table(database, ARTICLES)}?{urllib.parse.urlencode(pairs)}"


#: The page's address shows the news columns the server chose (so datasette's column menu, which reads the
#: address, hides one of them rather than showing all the others), and its "Show all columns" item, which
#: would drop ``_col`` and so come back to the news columns, lists every column instead.
COLUMN_MENU_JS = """
(function () {
  var params = new URLSearchParams(window.location.search);
  if (!params.has('_col') && !params.has('_nocol')) {
    NEWS_COLUMNS.forEach(function (column) { params.append('_col', column); });
    window.history.replaceState(null, '', window.location.pathname + '?' + params.toString() + window.location.hash);
  }
  document.addEventListener('click', function (event) {
    if (!event.target.closest('.dropdown-show-all-columns')) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    window.location.href = ALL_COLUMNS_URL;
  }, true);
})();
"""


@hookimpl
def extra_body_script(template: str, database: str | None, table: str | None, request: Any,
                      datasette: Any) -> Any:
    if table != ARTICLES or database not in arabpress_databases(datasette) or not template.startswith("table"):
        return None

    async def script() -> str:
        target = json.dumps(await all_columns_url(datasette, request, database))
        return COLUMN_MENU_JS.replace("NEWS_COLUMNS", json.dumps(list(NEWS_COLUMNS))).replace(
            "ALL_COLUMNS_URL", target
        )

    return script


@hookimpl
def extra_template_vars(template: str, database: str | None, table: str | None, request: Any,
                        datasette: Any) -> Any:
    if table != ARTICLES or database not in arabpress_databases(datasette):
        return {}

    async def variables() -> dict[str, Any]:
        chosen = request.args.getlist("_col") if request else []
        return {
            "arabpress_search_help": SEARCH_HELP,
            "arabpress_all_columns_url": await all_columns_url(datasette, request, database),
            "arabpress_news_columns": list(chosen) == list(NEWS_COLUMNS),
            "arabpress_news_columns_url": str(datasette.urls.table(database, ARTICLES)),
        }

    return variables


# --- titles link to their row ---------------------------------------------------------------------


@hookimpl(specname="render_cell", tryfirst=True)
def render_linked_title(row: Any, value: Any, column: str, table: str | None, database: str | None,
                        datasette: Any) -> markupsafe.Markup | None:
    """An article's title as a link to its row page (right-to-left when Arabic)."""
    if table != ARTICLES or column != "title" or not isinstance(value, str) or not value:
        return None
    try:
        row_path = path_from_row_pks(row, ["url"], False)
    except (IndexError, KeyError):  # a query without the url column: no row to link to
        return None
    from arabpress_crawler.datasette.plugin import render_cell

    inner = render_cell(value=value, column=column) or markupsafe.escape(value)
    href = datasette.urls.row(database, table, row_path)
    return markupsafe.Markup('<a class="arabpress-title" href="{}">{}</a>').format(href, inner)
