"""Tests of date normalisation: the forms news pages and feeds use, in English and Arabic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arabpress_crawler.dates import date_from_url, normalize_date

FROZEN_NOW = datetime(2025, 11, 8, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # ISO 8601 variants
        ("2022-12-28T10:30:00+03:00", "2022-12-28T07:30:00Z"),
        ("2022-12-28T10:30:00.123Z", "2022-12-28T10:30:00Z"),
        ("2022-12-28T10:30:00+0300", "2022-12-28T07:30:00Z"),
        ("2022-12-28T23:30:00-05:00", "2022-12-29T04:30:00Z"),
        ("2022-12-28 10:30", "2022-12-28T10:30:00Z"),
        ("20221228T103000Z", "2022-12-28T10:30:00Z"),
        ("2022-12-28", "2022-12-28"),
        ("  2022-12-28\n", "2022-12-28"),
        # RFC 822 (RSS pubDate)
        ("Wed, 28 Dec 2022 10:30:00 +0300", "2022-12-28T07:30:00Z"),
        ("Wed, 28 Dec 2022 10:30:00 GMT", "2022-12-28T10:30:00Z"),
        # English forms
        ("Saturday, Nov 08, 2025", "2025-11-08"),
        ("28 December 2022", "2022-12-28"),
        ("December 28th, 2022", "2022-12-28"),
        ("Dec. 28, 2022 10:30 PM", "2022-12-28T22:30:00Z"),
        ("Published 28 Dec 2022, 9:05 am GMT+3", "2022-12-28T06:05:00Z"),
        ("Updated: 12:00 AM, 1 January 2023", "2023-01-01T00:00:00Z"),
        # Arabic month names, both families, and Arabic-Indic / Eastern Arabic digits
        ("٢٨ ديسمبر ٢٠٢٢", "2022-12-28"),
        ("28 ديسمبر 2022", "2022-12-28"),
        ("الأربعاء ٢٨ كانون الأول ٢٠٢٢", "2022-12-28"),
        ("28 كانون الاول 2022", "2022-12-28"),
        ("٢٨ كانون الأول (ديسمبر) ٢٠٢٢م", "2022-12-28"),
        ("۲۸ دیسمبر ۲۰۲۲".replace("ی", "ي"), "2022-12-28"),
        ("٥ أيار ٢٠٢١", "2021-05-05"),
        ("15 آب 2021", "2021-08-15"),
        ("3 إبريل 2020", "2020-04-03"),
        ("٣ شتنبر ٢٠١٩", "2019-09-03"),
        ("10:30 ص - ٢٨ ديسمبر ٢٠٢٢", "2022-12-28T10:30:00Z"),
        ("٢٨ ديسمبر ٢٠٢٢ ١٠:٣٠ م", "2022-12-28T22:30:00Z"),
        # Numeric forms that cannot be misread
        ("2022/12/28", "2022-12-28"),
        ("28/12/2022", "2022-12-28"),
        ("28.12.2022", "2022-12-28"),
    ],
)
def test_normalize_date_forms(value: str, expected: str) -> None:
    assert normalize_date(value, now=FROZEN_NOW) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "not a date",
        "2022-12",  # a month is not a day
        "30 February 2022",  # impossible
        "2022-02-30",
        "28 Dec 2022 25:00",  # impossible time
        "2022-12-28T10:30:00+25:00",  # impossible offset
        "03/04/2022",  # ambiguous day and month
        "2025-11-10",  # after now + 1 day: not credible
        "1066-10-14",  # before any news page
        "x" * 500,
    ],
)
def test_normalize_date_refuses(value: str | None) -> None:
    assert normalize_date(value, now=FROZEN_NOW) is None


def test_future_margin_is_one_day() -> None:
    assert normalize_date("2025-11-09T11:00:00Z", now=FROZEN_NOW) == "2025-11-09T11:00:00Z"
    assert normalize_date("2025-11-09T13:00:00Z", now=FROZEN_NOW) is None


def test_stored_text_is_not_changed_by_parsing() -> None:
    value = "٢٨ ديسمبر ٢٠٢٢"
    normalize_date(value)
    assert value == "٢٨ ديسمبر ٢٠٢٢"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arab.press/2022/12/28/russia-turkey-syria/", "2022-12-28"),
        ("https://arab.press/2022/12/28/russia-turkey-syria/amp/", "2022-12-28"),
        ("http://127.0.0.1:8000/2021/01/05/slug", "2021-01-05"),
        ("https://arab.press/2022/13/28/bad-month/", None),
        ("https://arab.press/category/politics/", None),
        ("https://arab.press/?p=2022/12/28", None),  # the query is not the path
        ("https://arab.press/2099/01/01/future/", None),
        (None, None),
    ],
)
def test_date_from_url(url: str | None, expected: str | None) -> None:
    assert date_from_url(url, now=FROZEN_NOW) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_never_raises_and_is_idempotent_on_any_text(value: str) -> None:
    result = normalize_date(value, now=FROZEN_NOW)
    if result is not None:
        assert normalize_date(result, now=FROZEN_NOW) == result


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2025, 11, 7), timezones=st.just(UTC)))
def test_round_trip_of_iso_datetimes(moment: datetime) -> None:
    result = normalize_date(moment.isoformat(), now=FROZEN_NOW)
    assert result == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert normalize_date(result, now=FROZEN_NOW) == result


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=datetime(1900, 1, 1).date(), max_value=datetime(2025, 11, 7).date()),
    st.sampled_from(["%d %B %Y", "%B %d, %Y", "%a, %b %d, %Y", "%Y/%m/%d"]),
)
def test_english_written_dates(day, pattern: str) -> None:
    assert normalize_date(day.strftime(pattern), now=FROZEN_NOW) == day.isoformat()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩-/:., TZ+دكانونالأولديسمبر", max_size=40))
def test_never_raises_on_date_like_noise(value: str) -> None:
    result = normalize_date(value, now=FROZEN_NOW)
    assert result is None or normalize_date(result, now=FROZEN_NOW) == result
