"""A real headless browser (Debian's chromium) on the served site: the first screen of the articles table
(all, Arabic, a search), search results, the chart, an Arabic row page.

What a person sees is asserted on the rendered page (elements within the 1400×1000 viewport, measured with
``getBoundingClientRect``), and each view is saved as a screenshot (to ``$ARABPRESS_SCREENSHOTS`` when set).

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
from news_sample import news_articles
from test_export_sample import ARABIC_TITLE, ARABIC_URL, build_sample_db, sample_articles
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
    "--window-size=1400,1000",
)
PAGE_LOAD_GUARD_SECONDS = 60
#: The screen the first-screen assertions are about.
VIEWPORT = {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
MIN_TITLES_ON_FIRST_SCREEN = 10


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
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", VIEWPORT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    if _missing_browser():
        pytest.skip(_missing_browser())
    path = build_sample_db(
        tmp_path_factory.mktemp("browser") / f"{DB_NAME}.db",
        runs=[{}, {}, {}],
        articles=sample_articles() + news_articles(),
    )
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


# --- the first screen of the articles table -------------------------------------------------------

#: For every article title link on the page: where it is, whether it is Arabic right-to-left, and whether
#: any of its text is hidden (scrolled or cut off inside its block, or outside the screen's width).
FIRST_SCREEN_JS = """
const titles = Array.from(document.querySelectorAll('table.rows-and-columns a.arabpress-title'));
return titles.map(function (link) {
  const rect = link.getBoundingClientRect();
  const block = link.querySelector('.arabpress-text') || link;
  const cell = link.closest('td').getBoundingClientRect();
  return {
    text: link.innerText,
    top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right,
    rtl: block.getAttribute('dir') === 'rtl' && getComputedStyle(block).direction === 'rtl',
    clipped: block.scrollWidth > block.clientWidth + 1 || block.scrollHeight > block.clientHeight + 1
      || rect.left < cell.left - 1 || rect.right > cell.right + 1,
  };
});
"""


def _screenshot(driver, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ARABPRESS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def _on_first_screen(driver) -> list[dict]:
    height, width = driver.execute_script("return [window.innerHeight, window.innerWidth]")
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
    titles = driver.execute_script(FIRST_SCREEN_JS)
    return [t for t in titles if t["top"] >= 0 and t["bottom"] <= height and t["left"] >= 0 and t["right"] <= width]


@pytest.mark.parametrize(
    ("name", "query", "arabic"),
    [
        ("articles", {}, None),
        ("articles-ar", {"language": "ar"}, True),
        ("articles-search", {"_search": "officials welcomed"}, False),
        ("articles-search-ar", {"_search": "مسؤول"}, True),  # written المسؤولون: found by its stem
    ],
)
def test_first_screen_shows_the_news(browser, site, tmp_path, name, query, arabic):
    browser.get(f"{site}/{DB_NAME}/articles?" + urllib.parse.urlencode(query))
    _screenshot(browser, name, tmp_path)
    visible = _on_first_screen(browser)
    assert len(visible) >= MIN_TITLES_ON_FIRST_SCREEN, [t["text"] for t in visible]
    if arabic is not None:
        assert all(t["rtl"] is arabic for t in visible), [t["text"] for t in visible if t["rtl"] is not arabic]
    arabic_titles = [t for t in visible if t["rtl"]]
    assert arabic_titles or arabic is False
    assert not [t["text"] for t in visible if t["clipped"]], "titles cut off"
    headers = [th.text.strip() for th in _css(browser, "table.rows-and-columns thead th")]
    assert headers == ["title", "published_at ▲", "section", "language", "authors", "word_count"]


@pytest.mark.parametrize("width", [700, 420])
def test_arabic_titles_stay_whole_on_narrow_screens(browser, site, tmp_path, width):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**VIEWPORT, "width": width})
    try:
        browser.get(f"{site}/{DB_NAME}/articles?language=ar")
        _screenshot(browser, f"articles-ar-{width}", tmp_path)
        titles = browser.execute_script(FIRST_SCREEN_JS)
        page_width = browser.execute_script("return document.documentElement.clientWidth")
        assert titles and all(t["rtl"] for t in titles)
        assert not [t["text"] for t in titles if t["clipped"]], "titles cut off"
        assert not [t["text"] for t in titles if t["left"] < 0 or t["right"] > page_width], "titles off-screen"
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", VIEWPORT)


def test_the_column_menu_shows_all_columns_too(browser, site):
    """datasette's own "Show all columns" (in a column's menu) drops ``_col``; on articles it lists them all."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    def headers() -> list[str]:
        return [th.get_attribute("data-column") for th in _css(browser, "table.rows-and-columns thead th")]

    browser.get(f"{site}/{DB_NAME}/articles")
    assert "_col=title" in browser.current_url  # the address says which columns are shown
    browser.find_element(By.CSS_SELECTOR, 'th[data-column="section"] .dropdown-menu-icon').click()
    browser.find_element(By.CSS_SELECTOR, ".dropdown-hide-column").click()  # hide one news column
    WebDriverWait(browser, PAGE_LOAD_GUARD_SECONDS).until(lambda driver: "_nocol=section" in driver.current_url)
    assert headers() == ["title", "published_at", "language", "authors", "word_count"]
    browser.find_element(By.CSS_SELECTOR, 'th[data-column="language"] .dropdown-menu-icon').click()
    browser.find_element(By.CSS_SELECTOR, ".dropdown-show-all-columns").click()
    WebDriverWait(browser, PAGE_LOAD_GUARD_SECONDS).until(lambda driver: "content_hash" in driver.current_url)
    assert {"section", "content_hash", "extraction", "etag", "body"} <= set(headers())


def test_all_columns_are_one_click_away(browser, site):
    browser.get(f"{site}/{DB_NAME}/articles")
    from selenium.webdriver.common.by import By

    browser.find_element(By.LINK_TEXT, "Show all columns").click()
    headers = {th.get_attribute("data-column") for th in _css(browser, "table.rows-and-columns thead th")}
    assert {"content_hash", "extraction", "fetched_at", "etag", "body"} <= headers
    summary = browser.find_element(By.CSS_SELECTOR, "details.arabpress-column-descriptions summary")
    assert not browser.find_element(By.CSS_SELECTOR, "dl.column-descriptions").is_displayed()
    summary.click()
    assert browser.find_element(By.CSS_SELECTOR, "dl.column-descriptions").is_displayed()


@pytest.mark.parametrize("width", [VIEWPORT["width"], 700, 420])
def test_arabic_row_page_is_titled_by_the_headline_and_fits_the_screen(browser, site, tmp_path, width):
    key = ARABIC_URL.replace(":", "~3A").replace("/", "~2F").replace(".", "~2E")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**VIEWPORT, "width": width})
    try:
        browser.get(f"{site}/{DB_NAME}/articles/{key}")
        _screenshot(browser, f"article-ar-{width}", tmp_path)
        from selenium.webdriver.common.by import By

        assert browser.find_element(By.CSS_SELECTOR, "h1").text == ARABIC_TITLE
        page_width = browser.execute_script("return document.documentElement.clientWidth")
        blocks = _css(browser, '.arabpress-text[dir="rtl"]')
        assert blocks
        for block in blocks:
            rect = browser.execute_script("return arguments[0].getBoundingClientRect()", block)
            assert 0 <= rect["left"] and rect["right"] <= page_width, f"{block.text[:30]!r} runs off: {rect}"
            clipped = browser.execute_script(
                "return arguments[0].scrollWidth > arguments[0].clientWidth + 1"
                " || arguments[0].scrollHeight > arguments[0].clientHeight + 1", block)
            assert not clipped, f"{block.text[:30]!r} is cut off"
        assert browser.execute_script("return document.documentElement.scrollWidth") <= page_width
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", VIEWPORT)


# --- the dashboard (datasette-dashboards, Vega-Lite bundled: no network) ----------------------------

#: For each chart of the dashboard: how many bars Vega drew (SVG paths of its rect marks) with a size.
CHART_BARS_JS = """
return Array.from(document.querySelectorAll('.dashboard-card-chart[id^="chart-"]')).map(function (chart) {
  const bars = Array.from(chart.querySelectorAll('svg g.mark-rect path')).filter(function (bar) {
    const box = bar.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  });
  return {id: chart.id, bars: bars.length};
});
"""
DASHBOARD_CHARTS = {"chart-per-day-language", "chart-per-day-section", "chart-runs", "chart-most-linked"}


def test_dashboard_draws_every_chart_offline(browser, site, tmp_path):
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(f"{site}/-/dashboards/{DB_NAME}")
    assert "days=60" in browser.current_url  # the default filter
    WebDriverWait(browser, PAGE_LOAD_GUARD_SECONDS).until(
        lambda driver: all(chart["bars"] for chart in driver.execute_script(CHART_BARS_JS))
    )
    charts = {chart["id"]: chart["bars"] for chart in browser.execute_script(CHART_BARS_JS)}
    assert set(charts) == DASHBOARD_CHARTS
    assert charts["chart-runs"] >= 3 * 2  # three runs: pages and new articles drawn for each
    _screenshot(browser, "dashboard", tmp_path)
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (entry) { return entry.name; })"
    )
    assert all(url.startswith(site) for url in requested), [url for url in requested if not url.startswith(site)]
