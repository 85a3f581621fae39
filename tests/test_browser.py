"""A real headless browser (Debian's chromium) on the served site: search results, the chart, an Arabic row.

Skipped with a one-line reason when chromium or chromedriver is not installed
(``apt-get install chromium chromium-driver``; ``.ci/run`` does it).
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_export_sample import ARABIC_TITLE, ARABIC_URL, build_sample_db
from test_serve import DB_NAME, running_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
PAGE_LOAD_GUARD_SECONDS = 60


def _missing_browser() -> str | None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return "chromium or chromedriver not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[object]:
    reason = _missing_browser()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium look for a driver online
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(PAGE_LOAD_GUARD_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    if _missing_browser():
        pytest.skip(_missing_browser())
    path = build_sample_db(tmp_path_factory.mktemp("browser") / f"{DB_NAME}.db", runs=[{}, {}, {}])
    with running_server(path) as (base, _):
        yield base


def _css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def test_search_results_page(browser, site):
    browser.get(f"{site}/{DB_NAME}/articles?" + urllib.parse.urlencode({"_search": "وزراء الدفاع"}))
    assert "1 row where search matches" in browser.page_source
    cells = _css(browser, "table.rows-and-columns td .arabpress-text")
    assert any(cell.text == ARABIC_TITLE for cell in cells)


def test_chart_page_draws_the_data(browser, site):
    browser.get(f"{site}/-/charts")
    bars = _css(browser, 'svg.arabpress-chart[data-chart="bars"] rect.bar')
    assert bars, "no bars drawn"
    drawn = [bar for bar in bars if int(bar.get_attribute("data-value")) > 0]
    assert drawn and all(bar.size["height"] > 0 for bar in drawn)
    points = _css(browser, 'svg.arabpress-chart[data-chart="lines"] circle')
    assert len(points) >= 3
    assert all(point.is_displayed() for point in points)


def test_arabic_row_page_reads_right_to_left(browser, site):
    key = ARABIC_URL.replace(":", "~3A").replace("/", "~2F").replace(".", "~2E")
    browser.get(f"{site}/{DB_NAME}/articles/{key}")
    blocks = _css(browser, '.arabpress-text[dir="rtl"]')
    title = next(block for block in blocks if block.text == ARABIC_TITLE)
    assert title.value_of_css_property("direction") == "rtl"
    assert title.get_attribute("lang") == "ar"
    body = next(block for block in blocks if block.find_elements("tag name", "p"))
    assert body.value_of_css_property("direction") == "rtl"
    assert "مُوسْكُو" in body.text
