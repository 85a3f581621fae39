"""Which stored articles the spider fetches again (RefetchPolicy), and the spider's argument parsing."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from arabpress_crawler.db import ArticleState
from arabpress_crawler.spiders.arguments import ArgumentError, parse_arguments
from arabpress_crawler.spiders.incremental import RefetchPolicy, Verdict

NOW = datetime(2025, 11, 8, 12, 0, tzinfo=UTC)


def state(url: str, **kwargs) -> ArticleState:
    values = dict.fromkeys(("etag", "last_modified", "published_at", "modified_at", "fetched_at", "sitemap_lastmod"))
    values.update(kwargs)
    return ArticleState(url=url, **values)


OLD = state(
    "https://arab.press/2022/12/28/old-story/",
    published_at="2022-12-28T10:00:00Z",
    modified_at="2022-12-29T08:00:00Z",
    etag='"abc"',
    last_modified="Thu, 29 Dec 2022 08:00:00 GMT",
)
RECENT = state("https://arab.press/2025/11/07/fresh/", published_at="2025-11-07T09:00:00Z")
LISTED = state(
    "https://arab.press/2024/05/01/listed/", published_at="2024-05-01", sitemap_lastmod="2024-06-01T00:00:00Z"
)
COPY_ALIAS = "https://arab.press/2022/12/28/old-story-copy/"


def policy(**kwargs) -> RefetchPolicy:
    known = {OLD.url: OLD, RECENT.url: RECENT, LISTED.url: LISTED, COPY_ALIAS: replace(OLD, is_alias=True)}
    return RefetchPolicy(known, now=NOW, **kwargs)


def test_unknown_article_is_new_and_fetched_plainly():
    decision = policy().decide("https://arab.press/2025/11/08/brand-new/")
    assert decision.verdict is Verdict.NEW
    assert decision.fetch
    assert decision.conditional_headers() == {}


def test_old_stored_article_is_skipped():
    decision = policy().decide(OLD.url)
    assert decision.verdict is Verdict.KNOWN
    assert not decision.fetch


def test_alias_resolves_to_the_stored_article():
    decision = policy().decide(COPY_ALIAS)
    assert decision.verdict is Verdict.KNOWN
    assert decision.stored.url == OLD.url


def test_an_aliases_own_lastmod_does_not_refetch_the_original():
    assert policy().decide(COPY_ALIAS, lastmod="2025-10-30T08:00:00Z").verdict is Verdict.KNOWN
    assert policy(refresh=True).decide(COPY_ALIAS).verdict is Verdict.REFETCH


def test_newer_sitemap_lastmod_means_a_conditional_refetch():
    decision = policy().decide(OLD.url, lastmod="2023-01-05T00:00:00+00:00")
    assert decision.verdict is Verdict.REFETCH
    assert decision.reason == "lastmod"
    assert decision.conditional_headers() == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Thu, 29 Dec 2022 08:00:00 GMT",
    }


def test_lastmod_not_newer_than_stored_modification_is_skipped():
    assert policy().decide(OLD.url, lastmod="2022-12-29T08:00:00Z").verdict is Verdict.KNOWN
    assert policy().decide(OLD.url, lastmod="not a date").verdict is Verdict.KNOWN


def test_stored_sitemap_lastmod_is_what_a_new_lastmod_is_compared_with():
    assert policy().decide(LISTED.url, lastmod="2024-06-01T00:00:00+00:00").verdict is Verdict.KNOWN
    assert policy().decide(LISTED.url, lastmod="2024-06-02").verdict is Verdict.REFETCH


def test_recent_article_is_rechecked_within_refresh_days_only():
    assert policy().decide(RECENT.url).verdict is Verdict.REFETCH
    assert policy(refresh_days=0).decide(RECENT.url).verdict is Verdict.KNOWN


def test_refresh_rechecks_everything():
    decision = policy(refresh=True).decide(OLD.url)
    assert decision.verdict is Verdict.REFETCH
    assert decision.reason == "refresh"


def test_refetch_without_validators_sends_no_conditional_headers():
    assert policy().decide(RECENT.url).conditional_headers() == {}


def test_arguments_from_strings_as_scrapy_passes_them():
    args = parse_arguments(
        "http://127.0.0.1:8123/",
        max_pages="10",
        max_depth="0",
        since="2025-01-31",
        backfill="1",
        refresh="false",
        refresh_days="5",
    )
    assert args.base_url == "http://127.0.0.1:8123"
    assert (args.max_pages, args.max_depth, args.refresh_days) == (10, 0, 5)
    assert args.since == date(2025, 1, 31)
    assert args.backfill is True and args.refresh is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "javascript:alert(1)"}, "not an http(s) URL"),
        ({"base_url": "http://127.0.0.1:70000"}, "bad port"),
        ({"since": "31/01/2025"}, "YYYY-MM-DD"),
        ({"max_pages": "0"}, "at least 1"),
        ({"max_depth": "deep"}, "whole number"),
        ({"backfill": "maybe"}, "yes/no"),
    ],
)
def test_bad_arguments_say_how_to_fix_them(kwargs, message):
    base_url = kwargs.pop("base_url", "https://arab.press")
    with pytest.raises(ArgumentError, match=re.escape(message)):
        parse_arguments(base_url, **kwargs)
