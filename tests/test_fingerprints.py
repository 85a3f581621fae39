"""A resumed job (``JOBDIR``) knows an article it asked for under another link (``REQUEST_FINGERPRINTER_CLASS``).

Two dupefilters on one job directory play the stopped job and the resumed one, as Scrapy builds them from the
project's settings: the first asked for an article with ``utm_`` parameters, the second finds the same article
under its plain link.
"""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from arabpress_crawler.urls import canonicalize_url

ARTICLE = "http://127.0.0.1:8000/2024/03/05/ministers-meet/"


def job_dupefilter(job_dir: Path) -> RFPDupeFilter:
    """The dupefilter Scrapy builds for a job in ``job_dir`` with the project's settings."""
    settings = Settings()
    settings.setmodule("arabpress_crawler.settings", priority="project")
    fingerprinter = load_object(settings["REQUEST_FINGERPRINTER_CLASS"])()
    job_dir.mkdir(exist_ok=True)
    return RFPDupeFilter(str(job_dir), fingerprinter=fingerprinter)


def article_request(link: str, **meta: object) -> Request:
    return Request(link, meta={"canonical_url": canonicalize_url(link), **meta})


def test_a_resumed_job_does_not_ask_again_for_an_article_the_stopped_one_asked_for_under_another_link(
    tmp_path: Path,
) -> None:
    stopped = job_dupefilter(tmp_path / "crawl.db.job")
    assert not stopped.request_seen(article_request(f"{ARTICLE}?utm_source=feed&utm_medium=rss"))
    stopped.close("shutdown")
    resumed = job_dupefilter(tmp_path / "crawl.db.job")
    try:
        assert resumed.request_seen(article_request(ARTICLE))  # the same article: not fetched twice
        assert not resumed.request_seen(article_request(ARTICLE.replace("ministers-meet", "another-story")))
    finally:
        resumed.close("finished")


def test_other_requests_and_redirects_keep_scrapys_fingerprints(tmp_path: Path) -> None:
    dupefilter = job_dupefilter(tmp_path / "crawl.db.job")
    try:
        assert not dupefilter.request_seen(Request("http://127.0.0.1:8000/?utm_source=x"))
        assert not dupefilter.request_seen(Request("http://127.0.0.1:8000/"))  # not an article: Scrapy's fingerprint
        assert not dupefilter.request_seen(article_request(f"{ARTICLE}?utm_source=x"))
        # A redirect to the article's own canonical URL (the server dropping the parameters) is followed.
        redirected = article_request(ARTICLE, redirect_urls=[f"{ARTICLE}?utm_source=x"])
        assert not dupefilter.request_seen(redirected)
    finally:
        dupefilter.close("finished")
