"""A crawl frontier shared through Redis (the ``[distributed]`` extra: scrapy-redis and redis-py).

scrapy-redis 0.9.1 gives the scheduler; this package gives the answers its defaults lack (see
``../shared/CONVENTIONS.md``, "Learned in the first round"):

* :mod:`.keys`: every key is per site and per run (``arabpress:<host:port>:<run>:…``) and expires, so the
  next run starts from an empty frontier and is incremental exactly as a single-process run;
* :mod:`.dupefilter`: fingerprints are the project's canonical URLs (:func:`arabpress_crawler.urls.canonicalize_url`),
  not scrapy-redis's hash of the raw request, and closing a worker never clears what the others share;
* :mod:`.queue`: a popped request is *leased* to its worker (moved atomically to the worker's lease list) until
  it has left the downloader; the leases of a worker whose heartbeat expired go back to the queue;
* :mod:`.throttle`: politeness is global, one reservation clock per site in Redis, so N workers together never
  exceed one request per ``DOWNLOAD_DELAY``;
* :mod:`.idle`: a worker stops only when the queue is empty, no request is leased and every live worker is idle.

Tests run against Debian's ``redis-server`` on a Unix socket (``tests/distributed/conftest.py``).
"""

from __future__ import annotations

#: Settings of the distributed frontier.
REDIS_URL_SETTING = "REDIS_URL"
RUN_KEY_SETTING = "ARABPRESS_REDIS_RUN"
WORKER_SETTING = "ARABPRESS_REDIS_WORKER"
