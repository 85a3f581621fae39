"""The run's page budgets shared by its workers: ``ARABPRESS_MAX_PAGES`` (or ``--max-pages``) caps the run.

A spider counts the article pages it requests, and the listing pages a backfill follows (pagination: pages of
known articles, bounded by the same cap), each in a :class:`~arabpress_crawler.spiders.limits.PageBudget`; a
distributed worker's spider gets a :class:`SharedPageBudget` for each instead (installed by the
:class:`~arabpress_crawler.distributed.frontier.SharedFrontier` extension when the spider opens): the URLs
requested in the run are a Redis set (``…:pages``, ``…:listings``), and a Lua script adds one only while the
set is under the cap, so N workers together request at most the cap, never N times it. A URL another worker
already took is not counted twice (the shared dupefilter drops the second request anyway).
"""

from __future__ import annotations

from typing import Any

from arabpress_crawler.distributed.keys import RUN_TTL_SECONDS

#: KEYS[1] the run's set of requested URLs (article or listing pages); ARGV: url, cap, ttl. 1 when the request may go, 0 when spent.
TAKE_SCRIPT = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


class SharedPageBudget:
    """A page budget of the run in Redis, the set ``key`` (see the module docstring)."""

    def __init__(self, server: Any, key: str, cap: int) -> None:
        self.server = server
        self.key = key
        self.cap = cap
        self._take = server.register_script(TAKE_SCRIPT)

    def take(self, url: str) -> bool:
        return bool(self._take(keys=[self.key], args=[url, self.cap, RUN_TTL_SECONDS]))

    def spent(self) -> bool:
        return int(self.server.scard(self.key)) >= self.cap
