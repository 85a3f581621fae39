"""Settings profiles layered over :mod:`arabpress_crawler.settings`.

The defaults are polite for the public site. :data:`MIRROR` is for the local mirror (tests, the demo and the
benchmarks): the server is ours and on the same machine, so there is nothing to be polite to.

A profile is chosen with the ``ARABPRESS_PROFILE`` setting (or environment variable)::

    arabpress crawl --mirror-profile ...
    scrapy crawl articles -a base_url=http://127.0.0.1:8000 -s ARABPRESS_PROFILE=mirror -O items.jsonl

:class:`ProfileAddon` (enabled in ``ADDONS``) applies it above the project settings and below anything given
on the command line, so ``-s CONCURRENT_REQUESTS=4`` still wins over the profile.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

#: The setting (and environment variable) that names the profile to apply.
PROFILE_SETTING = "ARABPRESS_PROFILE"

#: Settings priority of a profile: above the project's settings module, below the command line.
PROFILE_PRIORITY = "spider"

MIRROR: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0.0,
    "DOWNLOAD_DELAY_JITTER": 0.0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "DOWNLOAD_TIMEOUT": 10,
    # Still retry, but without waiting long: a fault switched on in the mirror must not stall a test.
    "ARABPRESS_RETRY_BACKOFF": 0.0,
    "ARABPRESS_RETRY_MAX_WAIT": 2.0,
}

PROFILES: dict[str, dict[str, Any]] = {"mirror": MIRROR}


class UnknownProfileError(ValueError):
    """Raised for a profile name that is not in :data:`PROFILES`."""


def apply_profile(settings: BaseSettings, name: str) -> None:
    """Apply the profile called ``name`` to ``settings``."""
    try:
        values = PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise UnknownProfileError(f"unknown profile {name!r}; known profiles: {known}") from None
    settings.setdict(values, priority=PROFILE_PRIORITY)
    logger.info("applied the %s settings profile", name)


class ProfileAddon:
    """Scrapy add-on that applies the profile named by the ``ARABPRESS_PROFILE`` setting, if any."""

    def update_settings(self, settings: BaseSettings) -> None:
        name = (settings.get(PROFILE_SETTING) or "").strip()
        if name:
            apply_profile(settings, name)
