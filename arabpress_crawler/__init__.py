"""arabpress-crawler: a Scrapy pipeline that turns the Arab Press news site into a SQLite dataset."""

from __future__ import annotations

__version__ = "0.1.0"

#: The public site. Tests, the demo and the benchmarks point the crawler at the local mirror instead.
DEFAULT_BASE_URL = "https://arab.press"
