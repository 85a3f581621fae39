"""The database: every SQL statement of the crawler lives in this package (and nothing here imports Scrapy).

Layout, one topic per module::

    connection.py  opening: a writer's pragmas (WAL, foreign keys, busy timeout), read-only opening
                   (``mode=ro``), transactions, the "unusable database" error
    schema.py      the numbered migration steps (``schema_version``), full-text indexes and their triggers
    records.py     what the writers take and return (aliases, dedupe decisions, fingerprints, outcomes)
    writers.py     ArticleWriter: articles, revisions, aliases, 304s, dedupe decisions; one transaction a batch
    related.py     an article's related headlines and the headlines' search copies
    runs.py        the run record (``crawl_runs``), run statuses, the sitemap lastmods of each run
    session.py     CrawlStore: one crawl's connection, shared by the pipelines and the run record; records
                   written in an open transaction and committed in batches
    queries.py     reads: what the spider and dedupe need, search, the figures of stats/summary/charts
    exports.py     the checked, parameterised queries of ``arabpress export``
    checks.py      consistency checks and the rebuild of the search indexes (``arabpress db …``)

How to extend it (each is one small change):

- a table or column: a ``@migration(N, "…")`` step in ``schema.py``, a section in ``docs/schema.md``, a
  case in ``tests/test_db_migrations.py``; a column the crawler writes also goes into
  ``ArticleWriter._article_values`` (``writers.py``);
- a writer for a new table: a module with functions of an open connection, called inside
  :func:`~arabpress_crawler.db.connection.transaction` (see ``related.py``, ``runs.py``);
- a query: a function of an open :class:`sqlite_utils.Database` in ``queries.py`` (or a module of its own
  for a new topic), returning plain values; import it from its module.

Who uses it: the pipelines (through ``session.acquire``), the run-record extension
(``arabpress_crawler/run_record.py``), the spider's start-up reads (``spiders/known.py``), the CLI, exports,
health and the datasette plugin (through ``queries``/``runs``/``exports``). Nothing here imports Scrapy or any
other module of the crawler but ``items``, ``text`` and ``urls`` (``tests/test_db_layout.py``).

The names below are the package's everyday API, re-exported so callers can write ``db.open_db(...)``.
"""

from __future__ import annotations

from arabpress_crawler.db.checks import check_consistency, rebuild_search
from arabpress_crawler.db.connection import (
    BUSY_TIMEOUT_MS,
    WAL_AUTOCHECKPOINT_PAGES,
    NotADatabase,
    UnusableDatabase,
    database_path,
    describe_error,
    open_db,
    open_readonly,
    transaction,
    utc_now,
)
from arabpress_crawler.db.queries import (
    ArticleState,
    DedupeState,
    content_holder,
    dedupe_state,
    fingerprint_states,
    fts_query,
    known_articles,
    lsh_bucket_members,
    search_articles,
    search_headlines,
)
from arabpress_crawler.db.records import (
    ALIAS_KIND_CONTENT,
    ALIAS_KIND_URL,
    OUTCOME_ALIAS,
    OUTCOME_NEW,
    OUTCOME_UNCHANGED,
    OUTCOME_UNKNOWN,
    OUTCOME_UPDATED,
    ArticleAlias,
    DedupedArticle,
    Fingerprint,
    StoreRecord,
    WriteResult,
)
from arabpress_crawler.db.runs import (
    INTERRUPTED_REASON,
    RUN_FAILED,
    RUN_FINISHED,
    RUN_INTERRUPTED,
    RUN_RUNNING,
    RunSummary,
    finish_run,
    mark_interrupted_runs,
    sitemap_lastmods,
    start_run,
)
from arabpress_crawler.db.schema import MIGRATIONS, SCHEMA_VERSION, ensure_schema, migrate, schema_version
from arabpress_crawler.db.writers import ArticleWriter

__all__ = [
    "ALIAS_KIND_CONTENT",
    "ALIAS_KIND_URL",
    "BUSY_TIMEOUT_MS",
    "INTERRUPTED_REASON",
    "MIGRATIONS",
    "OUTCOME_ALIAS",
    "OUTCOME_NEW",
    "OUTCOME_UNCHANGED",
    "OUTCOME_UNKNOWN",
    "OUTCOME_UPDATED",
    "RUN_FAILED",
    "RUN_FINISHED",
    "RUN_INTERRUPTED",
    "RUN_RUNNING",
    "SCHEMA_VERSION",
    "WAL_AUTOCHECKPOINT_PAGES",
    "ArticleAlias",
    "ArticleState",
    "ArticleWriter",
    "DedupeState",
    "DedupedArticle",
    "Fingerprint",
    "NotADatabase",
    "RunSummary",
    "StoreRecord",
    "UnusableDatabase",
    "WriteResult",
    "check_consistency",
    "content_holder",
    "database_path",
    "dedupe_state",
    "describe_error",
    "ensure_schema",
    "fingerprint_states",
    "finish_run",
    "fts_query",
    "known_articles",
    "lsh_bucket_members",
    "mark_interrupted_runs",
    "migrate",
    "open_db",
    "open_readonly",
    "rebuild_search",
    "schema_version",
    "search_articles",
    "search_headlines",
    "sitemap_lastmods",
    "start_run",
    "transaction",
    "utc_now",
]
