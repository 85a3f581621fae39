"""Redis key names of one distributed run: per site and per run, each expiring.

``arabpress:<site>:<run>:requests`` (the queue), ``…:seen`` (canonical URLs), ``…:pages`` and ``…:listings`` (the
run's page budgets: article pages, pagination pages), ``…:leases:<worker>`` (requests a
worker popped and has not finished), ``…:workers`` (the workers of the run), ``…:alive:<worker>`` (heartbeat),
``…:idle:<worker>``, ``…:writer`` (the writer's heartbeat), ``…:done`` (the run is done: no worker joins it now,
:mod:`.membership`), ``…:batches``, ``…:writing``, ``…:acks:<worker>`` and
``…:stats`` (the writer's side), and ``arabpress:<site>:throttle`` (the politeness clock, shared by every run on the site).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: Every run key expires this long after it was last written: a run that dies leaves nothing for long.
RUN_TTL_SECONDS = 24 * 3600
#: A worker whose heartbeat is older than this is dead: its leases go back to the queue.
HEARTBEAT_TTL_SECONDS = 10


def site_slug(base_url: str) -> str:
    """``host:port`` of the site (the politeness unit), safe inside a key."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return re.sub(r"[^A-Za-z0-9.\-:]", "_", f"{(parts.hostname or 'site').lower()}:{port}")


@dataclass(frozen=True)
class RunKeys:
    """The key names of the run ``run`` on the site ``site`` (see the module docstring)."""

    site: str
    run: str

    @property
    def prefix(self) -> str:
        return f"arabpress:{self.site}:{self.run}"

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def seen(self) -> str:
        return f"{self.prefix}:seen"

    @property
    def pages(self) -> str:
        """The canonical URLs of the article pages requested in the run (its page budget, :mod:`.budget`)."""
        return f"{self.prefix}:pages"

    @property
    def listings(self) -> str:
        """The URLs of the listing pages a backfill followed in the run (pagination, bounded by the same cap)."""
        return f"{self.prefix}:listings"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"

    def leases(self, worker: str) -> str:
        return f"{self.prefix}:leases:{worker}"

    def alive(self, worker: str) -> str:
        return f"{self.prefix}:alive:{worker}"

    def idle(self, worker: str) -> str:
        return f"{self.prefix}:idle:{worker}"

    @property
    def wake(self) -> str:
        """The run's pub/sub channel: a request queued, a worker idle or gone (:mod:`.wake`)."""
        return f"{self.prefix}:wake"

    @property
    def writer(self) -> str:
        """The writer's heartbeat: set while the writer (the coordinator) commits the run's batches."""
        return f"{self.prefix}:writer"

    @property
    def done(self) -> str:
        """Set when the run is done while its writer still commits: a worker that comes now exits at once."""
        return f"{self.prefix}:done"

    @property
    def batches(self) -> str:
        """Batches of validated records the workers send to the writer."""
        return f"{self.prefix}:batches"

    @property
    def writing(self) -> str:
        """The batch the writer is committing (back to ``batches`` if the writer dies)."""
        return f"{self.prefix}:writing"

    def acks(self, worker: str) -> str:
        return f"{self.prefix}:acks:{worker}"

    @property
    def stats(self) -> str:
        """Each worker's final Scrapy stats (JSON), merged into the run record by the coordinator."""
        return f"{self.prefix}:stats"

    @property
    def throttle(self) -> str:
        return f"arabpress:{self.site}:throttle"

    def live(self, server: Any) -> bool:
        """Whether the run's writer or one of its workers still beats."""
        return bool(server.exists(self.writer)) or any(True for _ in server.scan_iter(f"{self.prefix}:alive:*"))

    def run_keys(self, server: Any) -> list[str]:
        """Every key of this run that exists now (the throttle clock is the site's, not the run's)."""
        return sorted(key.decode() if isinstance(key, bytes) else key for key in server.scan_iter(f"{self.prefix}:*"))

    def delete(self, server: Any, *, frontier_only: bool = False) -> int:
        """Remove every key of the run (``frontier_only``: not the writer's batches, acks, stats and heartbeat, nor
        the run's ``done`` marker, which the coordinator deletes when it closes the run); how many."""
        keys = self.run_keys(server)
        if frontier_only:
            writer = (self.batches, self.writing, self.stats, f"{self.prefix}:acks:", self.writer, self.done)
            keys = [key for key in keys if not key.startswith(writer)]
        return int(server.delete(*keys)) if keys else 0


def dead_runs(server: Any, site: str, *, besides: str) -> list[RunKeys]:
    """The runs on ``site`` (other than ``besides``) that left keys behind and whose writer and workers are gone."""
    prefix = f"arabpress:{site}:"
    runs = set()
    for key in server.scan_iter(f"{prefix}*"):
        rest = (key.decode() if isinstance(key, bytes) else key)[len(prefix) :]
        if ":" in rest:  # the site's throttle clock has no run
            runs.add(rest.split(":", 1)[0])
    return [RunKeys(site, run) for run in sorted(runs - {besides}) if not RunKeys(site, run).live(server)]
