"""Scrapy add-on that puts the dedupe and store stages in the writer process (``ARABPRESS_WRITER=process``).

When both the dedupe and the store pipelines are enabled, ``process`` (the default) replaces them with
:class:`~arabpress_crawler.writer.client.WriterPipeline` at the store's place; ``inline`` leaves them in the
crawler's thread. A crawl without them (the bench's bare spider) is left alone.

The clean and validate pipelines go to the writer process too when nothing in the crawler needs cleaned items
(:func:`_prepares_in_writer`): the crawler's core then only fetches and extracts, the stages that cannot leave
it. A distributed worker keeps them (its batches go through Redis to a writer that may serve older workers).

The web archive's records are written by the writer process too (``ARABPRESS_ARCHIVE_IN_WRITER``), unless feed
exports need each item's record in the crawler (:mod:`arabpress_crawler.archive.capture`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.utils.misc import load_object

from arabpress_crawler.writer import (
    ARCHIVE_IN_WRITER_SETTING,
    WRITER_INLINE,
    WRITER_MODES,
    WRITER_PREPARES_SETTING,
    WRITER_PROCESS,
    WRITER_SETTING,
)

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

CLEAN_PIPELINE = "arabpress_crawler.pipelines.clean.CleanPipeline"
VALIDATE_PIPELINE = "arabpress_crawler.pipelines.validate.ValidatePipeline"
DEDUPE_PIPELINE = "arabpress_crawler.pipelines.dedupe.DedupePipeline"
STORE_PIPELINE = "arabpress_crawler.pipelines.store.StorePipeline"
WRITER_PIPELINE = "arabpress_crawler.writer.client.WriterPipeline"
#: A worker of a distributed run (``ARABPRESS_REDIS_RUN`` set) sends its batches through Redis.
REDIS_WRITER_PIPELINE = "arabpress_crawler.distributed.feed.RedisWriterPipeline"
_STAGES = frozenset({CLEAN_PIPELINE, VALIDATE_PIPELINE, DEDUPE_PIPELINE, STORE_PIPELINE})


class UnknownWriterModeError(ValueError):
    """``ARABPRESS_WRITER`` names no known mode."""


def writer_mode(settings: BaseSettings) -> str:
    """``process`` or ``inline``; :class:`UnknownWriterModeError` for anything else."""
    mode = (settings.get(WRITER_SETTING) or WRITER_PROCESS).strip().lower()
    if mode not in WRITER_MODES:
        raise UnknownWriterModeError(f"unknown {WRITER_SETTING} {mode!r}; use one of: {', '.join(WRITER_MODES)}")
    return mode


def _path(component: Any, wanted: frozenset[str] = frozenset()) -> str:
    """The dotted path of a pipeline given as a class or a path; a path among ``wanted`` is taken as written.

    Loading a pipeline imports its module: the dedupe pipeline's pulls in numpy and the store's modules, which
    the crawler process, which only sends records to the writer, never uses.
    """
    if isinstance(component, str) and component in wanted:
        return component
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
        enabled = {_path(name, _STAGES): (name, order) for name, order in pipelines.items() if order is not None}
        if DEDUPE_PIPELINE not in enabled or STORE_PIPELINE not in enabled:
            return
        moved = [DEDUPE_PIPELINE, STORE_PIPELINE]
        if not distributed and _prepares_in_writer(settings, enabled):
            moved[:0] = [CLEAN_PIPELINE, VALIDATE_PIPELINE]
            settings.set(WRITER_PREPARES_SETTING, True, priority=priority)
        order = enabled[STORE_PIPELINE][1]
        # Removed, not set to None: Scrapy imports every class the setting names, and the dedupe stage loads
        # numpy (it loaded datasketch and SciPy, 0.35-0.4 s of CPU, before arabpress_crawler.minhash).
        for path in moved:
            del pipelines[enabled[path][0]]
        pipelines[REDIS_WRITER_PIPELINE if distributed else WRITER_PIPELINE] = order
        settings.set("ITEM_PIPELINES", pipelines, priority=priority)
        if not settings.getdict("FEEDS"):  # exported items must hold their records: the crawler writes them then
            settings.set(ARCHIVE_IN_WRITER_SETTING, True, priority=priority)
        stages = ", ".join(path.rsplit(".", 1)[-1].removesuffix("Pipeline").lower() for path in moved)
        logger.info("%s run in a writer process (%s=%s)", stages, WRITER_SETTING, WRITER_PROCESS)


def _prepares_in_writer(settings: BaseSettings, enabled: dict[str, tuple[Any, int]]) -> bool:
    """Whether the clean and validate stages can run in the writer process too, off the crawler's core.

    Only when nothing in the crawler needs cleaned items: clean, validate, dedupe and store run in that order with
    no other pipeline before the store's place, and no feed export (it exports the items Scrapy counts as scraped).
    """
    if CLEAN_PIPELINE not in enabled or VALIDATE_PIPELINE not in enabled or settings.getdict("FEEDS"):
        return False
    stages = [enabled[path][1] for path in (CLEAN_PIPELINE, VALIDATE_PIPELINE, DEDUPE_PIPELINE, STORE_PIPELINE)]
    if stages != sorted(stages):
        return False
    others = [order for path, (_, order) in enabled.items() if path not in _STAGES]
    return all(order > stages[-1] for order in others)
