"""Scrapy extensions of the project.

:class:`FreezeStartupObjects` moves what exists when the spider opens (modules, classes, functions, settings:
some 150,000 objects) out of the garbage collector's reach with :func:`gc.freeze`, so the collector's full
collections during the crawl walk only the objects the crawl itself keeps alive. Those objects live for the
whole process anyway; freezing them changes what is scanned, not what is freed. Turned off with
``ARABPRESS_GC_FREEZE = False``.
"""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FREEZE_SETTING = "ARABPRESS_GC_FREEZE"


class FreezeStartupObjects:
    """Freeze the objects alive when the spider opens (see the module docstring)."""

    def __init__(self) -> None:
        self.frozen = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FreezeStartupObjects:
        if not crawler.settings.getbool(FREEZE_SETTING, True):
            raise NotConfigured(f"{FREEZE_SETTING} is off")
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        gc.collect()  # garbage of the start-up goes first, so only live objects are frozen
        gc.freeze()
        self.frozen = gc.get_freeze_count()
        logger.debug("%d start-up objects frozen out of the garbage collector's full collections", self.frozen)

    def spider_closed(self) -> None:
        gc.unfreeze()  # back to normal for whatever the process does after the crawl
