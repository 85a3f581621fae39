"""Scrapy add-on that puts the dedupe and store stages in the writer process (``ARABPRESS_WRITER=process``).

When both the dedupe and the store pipelines are enabled, ``process`` (the default) replaces them with
:class:`~arabpress_crawler.writer.client.WriterPipeline` at the store's place; ``inline`` leaves them in the
crawler's thread. A crawl without them (the bench's bare spider) is left alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.utils.misc import load_object

from arabpress_crawler.writer import WRITER_INLINE, WRITER_MODES, WRITER_PROCESS, WRITER_SETTING

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

DEDUPE_PIPELINE = "arabpress_crawler.pipelines.dedupe.DedupePipeline"
STORE_PIPELINE = "arabpress_crawler.pipelines.store.StorePipeline"
WRITER_PIPELINE = "arabpress_crawler.writer.client.WriterPipeline"
#: A worker of a distributed run (``ARABPRESS_REDIS_RUN`` set) sends its batches through Redis.
REDIS_WRITER_PIPELINE = "arabpress_crawler.distributed.feed.RedisWriterPipeline"


class UnknownWriterModeError(ValueError):
    """``ARABPRESS_WRITER`` names no known mode."""


def writer_mode(settings: BaseSettings) -> str:
    """``process`` or ``inline``; :class:`UnknownWriterModeError` for anything else."""
    mode = (settings.get(WRITER_SETTING) or WRITER_PROCESS).strip().lower()
    if mode not in WRITER_MODES:
        raise UnknownWriterModeError(f"unknown {WRITER_SETTING} {mode!r}; use one of: {', '.join(WRITER_MODES)}")
    return mode


def _path(component: Any) -> str:
    if component in (DEDUPE_PIPELINE, STORE_PIPELINE):  # as written: not imported where they do not run
        return str(component)
    cls = load_object(component) if isinstance(component, str) else component
    return f"{cls.__module__}.{cls.__qualname__}"


class WriterAddon:
    """Swaps the dedupe and store pipelines for the writer process's pipeline (see the module docstring)."""

    def update_settings(self, settings: BaseSettings) -> None:
        distributed = bool(settings.get("ARABPRESS_REDIS_RUN"))
        if writer_mode(settings) == WRITER_INLINE and not distributed:
            return
        priority = settings.getpriority("ITEM_PIPELINES") or 0
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        enabled = {_path(name): (name, order) for name, order in pipelines.items() if order is not None}
        if DEDUPE_PIPELINE not in enabled or STORE_PIPELINE not in enabled:
            return
        dedupe, _ = enabled[DEDUPE_PIPELINE]
        store, order = enabled[STORE_PIPELINE]
        # Removed, not set to None: Scrapy imports every class the setting names, and the dedupe stage loads
        # datasketch and scipy (0.4 s of CPU at every crawler's and worker's start-up, for nothing).
        del pipelines[dedupe], pipelines[store]
        pipelines[REDIS_WRITER_PIPELINE if distributed else WRITER_PIPELINE] = order
        settings.set("ITEM_PIPELINES", pipelines, priority=priority)
        logger.info("dedupe and store run in a writer process (%s=%s)", WRITER_SETTING, WRITER_PROCESS)
