"""The writer client looks for acknowledgements once per tick of a flow of items, not at every item.

Looking costs two system calls (polling the acknowledgement pipe, ``waitpid`` on the writer); at every item that
was ~40 µs a page of the crawler's CPU. A batch sent and the pipeline's timer still read them whenever they come.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from arabpress_crawler.items import UnchangedArticle
from arabpress_crawler.writer import client
from arabpress_crawler.writer.client import TICK_SECONDS, WriterPipeline


def test_a_flow_of_items_looks_for_acknowledgements_once_per_tick(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(client, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    pipeline = WriterPipeline(tmp_path / "store.db", batch_size=1000, flush_seconds=60)
    pipeline.store = SimpleNamespace(run_id=1, error=None)  # type: ignore[assignment]
    looked: list[float] = []
    monkeypatch.setattr(pipeline, "receive", lambda timeout: looked.append(timeout))

    for number in range(50):
        pipeline.process_item(UnchangedArticle(f"https://arab.press/{number}/"))
    assert looked == []  # within one tick: the items are only queued

    clock[0] += TICK_SECONDS * 1.5
    pipeline.process_item(UnchangedArticle("https://arab.press/next/"))
    assert looked == [0]  # the tick is over: one look, without waiting
    assert len(pipeline._pending) == 51
