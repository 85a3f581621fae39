"""One worker of a distributed run: the project's spider with the shared frontier (``python -m`` entry point).

``python -m arabpress_crawler.distributed.worker --redis URL --run RUN --base-url URL [--backfill] [-a NAME=VALUE]
[-s NAME=VALUE]`` (``arabpress worker`` is the same)
runs the ``articles`` spider with :func:`~arabpress_crawler.distributed.settings.worker_settings` merged into
the project settings (the downloader middlewares and extensions are added to the project's, not put in their
place). It stops by itself when the run is done (:mod:`arabpress_crawler.distributed.frontier`). A worker that
comes after the run is done says so in one line and exits with status 0 before it starts Scrapy, fetching
nothing (:mod:`arabpress_crawler.distributed.membership`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from arabpress_crawler.distributed import membership
from arabpress_crawler.distributed.settings import run_keys, worker_settings
from arabpress_crawler.spiders import ARTICLES_SPIDER

#: Settings that are component dictionaries: the worker's entries are added to the project's.
MERGED = ("DOWNLOADER_MIDDLEWARES", "EXTENSIONS", "SPIDER_MIDDLEWARES")


def crawl_settings(redis_url: str, run: str, base_url: str, extra: dict[str, Any] | None = None) -> Settings:
    """The project settings with the worker's on top (``extra`` last, highest priority)."""
    settings = Settings()
    settings.setmodule("arabpress_crawler.settings", priority="project")
    settings.set("ARABPRESS_BASE_URL", base_url, priority="cmdline")
    for name, value in worker_settings(redis_url, run).items():
        if name in MERGED:
            merged = dict(settings.getdict(name))
            merged.update(value)
            value = merged
        settings.set(name, value, priority="cmdline")
    settings.setdict(extra or {}, priority="cmdline")
    return settings


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m arabpress_crawler.distributed.worker")
    parser.add_argument("--redis", required=True, help="Redis URL (redis://host:port/0 or unix:///path)")
    parser.add_argument("--run", required=True, help="the run's id, the same for every worker of the run")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--backfill", action="store_true")
    parser.add_argument("-a", "--argument", action="append", default=[], metavar="NAME=VALUE", help="spider argument")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="Scrapy setting")
    return parser.parse_args(argv)


def refused(settings: Settings) -> str | None:
    """The line to say when the run is done (no worker may join it now), else ``None``."""
    from scrapy_redis.connection import get_redis_from_settings

    keys = run_keys(settings)
    server = get_redis_from_settings(settings)
    answer = membership.can_join(server, keys, writer=membership.needs_writer(settings.getdict("ITEM_PIPELINES")))
    return None if answer == membership.JOINED else membership.refusal(keys, answer)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    extra = dict(item.split("=", 1) for item in args.set)
    settings = crawl_settings(args.redis, args.run, args.base_url, extra)
    line = refused(settings)
    if line is not None:
        print(line, file=sys.stderr)
        return 0
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ARTICLES_SPIDER)
    arguments = dict(item.split("=", 1) for item in args.argument)
    process.crawl(crawler, base_url=args.base_url, backfill=args.backfill, **arguments)
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    return 0 if reason == "finished" else 1


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown: by now the crawl has closed, its batches are
    acknowledged and its stats are in Redis; freeing every module and object one by one only kept the writer
    waiting (about 1 s a worker on a loaded machine). Log handlers and standard streams are flushed first."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
