"""Where the pipeline stages run with the writer process: the add-on's choice and the writer's clean/validate.

By default the crawler process only fetches and extracts: clean, validate, dedupe and store run in the writer
process, which counts a validation drop as Scrapy would have. Clean and validate stay in the crawler when
something there needs cleaned items (a feed export, another pipeline before the store) and in a distributed
worker. The crawler process never imports the dedupe stage (datasketch and SciPy) it does not run.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from test_pipelines import SITE, article

from arabpress_crawler import settings as project_settings
from arabpress_crawler.db import frontier as frontier_table
from arabpress_crawler.db.frontier import FrontierLink, FrontierPolicy
from arabpress_crawler.items import ArticleItem, UnchangedArticle
from arabpress_crawler.writer import WRITER_PREPARES_SETTING
from arabpress_crawler.writer.addon import (
    CLEAN_PIPELINE,
    DEDUPE_PIPELINE,
    STORE_PIPELINE,
    VALIDATE_PIPELINE,
    WRITER_PIPELINE,
    WriterAddon,
)
from arabpress_crawler.writer.protocol import Batch, FrontierRecords
from arabpress_crawler.writer.server import LogCollector, Writer

CANONICAL = f"{SITE}/2025/11/08/ministers-meet/"
TRACKED = f"{CANONICAL}?utm_source=feed"


class TagPipeline:
    """A user's pipeline that runs before the store: it must see cleaned items."""

    def process_item(self, item: Any) -> Any:
        return item


def pipelines_after_addon(**overrides: Any) -> tuple[dict[str, int], bool]:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(overrides, priority="cmdline")
    WriterAddon().update_settings(settings)
    enabled = {name: order for name, order in settings.getdict("ITEM_PIPELINES").items() if order is not None}
    return enabled, settings.getbool(WRITER_PREPARES_SETTING)


def test_by_default_every_stage_after_extraction_runs_in_the_writer() -> None:
    enabled, prepares = pipelines_after_addon()
    assert enabled == {WRITER_PIPELINE: 400}
    assert prepares


@pytest.mark.parametrize(
    "overrides",
    [
        {"FEEDS": {"items.jsonl": {"format": "jsonlines"}}},
        {"ITEM_PIPELINES": {**project_settings.ITEM_PIPELINES, TagPipeline: 350}},
        {"ARABPRESS_REDIS_RUN": "run-1", "ARABPRESS_REDIS_URL": "redis://127.0.0.1:1"},
    ],
    ids=["feed-export", "pipeline-before-the-store", "distributed-worker"],
)
def test_clean_and_validate_stay_in_the_crawler_when_it_needs_cleaned_items(overrides: dict[str, Any]) -> None:
    enabled, prepares = pipelines_after_addon(**overrides)
    assert CLEAN_PIPELINE in enabled and VALIDATE_PIPELINE in enabled
    assert DEDUPE_PIPELINE not in enabled and STORE_PIPELINE not in enabled
    assert not prepares


def test_the_crawler_process_does_not_import_the_dedupe_stage() -> None:
    code = (
        "import sys\n"
        "from scrapy.settings import Settings\n"
        "from scrapy.utils.conf import build_component_list\n"
        "from scrapy.utils.misc import load_object\n"
        "from arabpress_crawler import settings as project\n"
        "from arabpress_crawler.writer.addon import WriterAddon\n"
        "settings = Settings()\n"
        "settings.setmodule(project, priority='project')\n"
        "WriterAddon().update_settings(settings)\n"
        "[load_object(path) for path in build_component_list(settings.getwithbase('ITEM_PIPELINES'))]\n"
        "print('datasketch' in sys.modules, 'scipy' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[Writer]:
    collector = LogCollector(logging.INFO)
    scraper_logger = logging.getLogger("scrapy.core.scraper")
    scraper_logger.addHandler(collector)
    level = scraper_logger.level
    scraper_logger.setLevel(logging.INFO)
    writer = Writer(str(tmp_path / "stages.db"), log=collector)
    writer.open()
    try:
        yield writer
    finally:
        writer.close()
        scraper_logger.removeHandler(collector)
        scraper_logger.setLevel(level)


def stored_urls(writer: Writer) -> list[str]:
    store = writer.store.store
    assert store is not None
    return [row[0] for row in store.db.execute("SELECT url FROM articles ORDER BY url").fetchall()]


def test_the_writer_cleans_and_validates_raw_records_and_counts_drops_as_scrapy_does(writer: Writer) -> None:
    kept = article(TRACKED, fetched_url=TRACKED, title="  Ministers   meet  ")
    stub = article(f"{SITE}/2025/11/09/stub/", body="Loading…")
    ack = writer.handle(Batch(seq=1, run_id=None, records=[kept, stub], raw=True))
    assert ack.error is None
    assert stored_urls(writer) == [CANONICAL]
    assert kept.title == "Ministers meet"
    assert ack.stats["item_dropped_count"] == 1
    assert ack.stats["item_dropped_reasons_count/DropItem"] == 1
    assert ack.stats["item_scraped_count"] == -1  # the crawler counted it scraped when it left its pipelines
    assert ack.stats["arabpress/dropped/no_body"] == 1
    assert any(message.startswith("Dropped: no_body") for _, _, message in ack.logs)


def test_the_writer_canonicalises_a_raw_304(writer: Writer) -> None:
    writer.handle(Batch(seq=1, run_id=None, records=[article(CANONICAL)], raw=True))
    unchanged = UnchangedArticle(url=TRACKED, fetched_at="2025-11-23T10:00:00Z")
    ack = writer.handle(Batch(seq=2, run_id=None, records=[unchanged], raw=True))
    assert ack.error is None
    assert unchanged.url == CANONICAL
    assert ack.stats.get("item_dropped_count", 0) == 0


def test_a_batch_of_validated_records_is_not_validated_again(writer: Writer) -> None:
    """A distributed worker's batches (``raw`` false) are stored as they come, as before."""
    record = ArticleItem(url=CANONICAL, title="Ministers meet", body="Too short to pass validation.")
    ack = writer.handle(Batch(seq=1, run_id=None, records=[record]))
    assert ack.error is None
    assert stored_urls(writer) == [CANONICAL]
    assert "item_dropped_count" not in ack.stats


def test_a_writer_that_only_sees_304s_never_imports_the_dedupe_stage(tmp_path: Path) -> None:
    """A second crawl of an unchanged site sends only 304s: its writer starts without datasketch and SciPy."""
    code = (
        "import sys\n"
        "from arabpress_crawler.items import UnchangedArticle\n"
        "from arabpress_crawler.writer.protocol import Batch\n"
        "from arabpress_crawler.writer.server import Writer\n"
        "writer = Writer(sys.argv[1])\n"
        "writer.open()\n"
        "records = [UnchangedArticle(url=sys.argv[2], fetched_at='2025-11-23T10:00:00Z')]\n"
        "ack = writer.handle(Batch(seq=1, run_id=None, records=records, raw=True))\n"
        "writer.close()\n"
        "print(ack.error, 'datasketch' in sys.modules, 'scipy' in sys.modules)\n"
    )
    db = str(tmp_path / "second.db")
    result = subprocess.run([sys.executable, "-c", code, db, CANONICAL], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "False", "False"]


@pytest.mark.parametrize("policy", [FrontierPolicy(), None], ids=["frontier-on", "frontier-off"])
def test_a_page_the_writer_validation_drops_leaves_the_frontier(writer: Writer, policy: FrontierPolicy | None) -> None:
    """As in the crawler's validate stage: the fetched link of a dropped page is no longer pending."""
    stub_url = f"{SITE}/2025/11/09/stub/"
    kept = FrontierRecords([FrontierLink(stub_url, stub_url, "related", 2)], FrontierPolicy())
    stub = article(stub_url, body="Loading…")
    ack = writer.handle(Batch(1, None, [kept, stub], raw=True, frontier_policy=policy))
    assert ack.stats["arabpress/dropped/no_body"] == 1
    store = writer.store.store
    assert store is not None
    assert frontier_table.pending_count(store.db) == (0 if policy is not None else 1)
