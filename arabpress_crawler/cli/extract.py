"""``arabpress extract``: print the extraction of one news page as JSON, to debug a page or a template change."""

from __future__ import annotations

import codecs
import json
import logging
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import click
from scrapy.http import HtmlResponse

from arabpress_crawler.cli import cli
from arabpress_crawler.pages.article import ArticlePage, item_to_dict
from arabpress_crawler.settings import USER_AGENT

logger = logging.getLogger(__name__)

FETCH_SCHEMES = ("http", "https")
LINK_BASE_SCHEMES = ("http", "https", "file")
FETCH_TIMEOUT_SECONDS = 30
#: Pages larger than this are refused (the crawler's ``DOWNLOAD_MAXSIZE``).
MAX_PAGE_BYTES = 10 * 1024 * 1024


def _is_url(source: str) -> bool:
    return "://" in source and bool(urlsplit(source).scheme)


def _check_base_url(url: str) -> str:
    if urlsplit(url).scheme not in LINK_BASE_SCHEMES or not (urlsplit(url).netloc or url.startswith("file:")):
        raise click.ClickException(
            f"--url must be an absolute URL such as https://arab.press/2022/12/28/slug/, not {url!r}."
        )
    return url


def fetch(url: str) -> tuple[str, bytes, dict[str, str]]:
    """GET ``url``; the final URL (after redirects), the body and the response headers."""
    if urlsplit(url).scheme not in FETCH_SCHEMES:
        raise click.ClickException(f"Cannot fetch {url}: only http:// and https:// URLs are fetched.")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as answer:  # noqa: S310 (scheme checked)
            body = answer.read(MAX_PAGE_BYTES + 1)
            final_url, headers = answer.geturl(), dict(answer.headers.items())
    except urllib.error.HTTPError as error:
        raise click.ClickException(f"Could not fetch {url}: HTTP {error.code} {error.reason}.") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise click.ClickException(
            f"Could not fetch {url}: {reason}. Check the address, or save the page and pass the file."
        ) from error
    if len(body) > MAX_PAGE_BYTES:
        raise click.ClickException(
            f"{url} is larger than {MAX_PAGE_BYTES // 1024 // 1024} MB; save a smaller page."
        )
    return final_url, body, headers


def read_file(path: Path) -> bytes:
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise click.ClickException(f"{path} {what}: pass a saved HTML page or an http(s):// URL.")
    try:
        return path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"Cannot read {path}: {error.strerror}.") from error


def build_response(source: str, page_url: str | None, encoding: str | None) -> HtmlResponse:
    """The response to extract: fetched for a URL, read from disk for a file."""
    headers: dict[str, str] = {}
    if _is_url(source) and not source.startswith("file:"):
        fetched_url, body, headers = fetch(source)
        url = page_url or fetched_url
    else:
        path = Path(source[len("file://") :] if source.startswith("file://") else source)
        body = read_file(path)
        url = page_url or path.resolve().as_uri()
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type")
    return HtmlResponse(
        _check_base_url(url),
        body=body,
        encoding=_check_encoding(encoding),
        headers={"Content-Type": content_type} if content_type else None,
    )


def _check_encoding(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError as error:
        raise click.ClickException(
            f"Unknown encoding {encoding!r}: use a name such as utf-8 or windows-1256."
        ) from error


@cli.command()
@click.argument("source", metavar="PATH_OR_URL")
@click.option(
    "--url",
    "page_url",
    metavar="URL",
    help="The page's own address, used only to resolve its links. Default: the file's file:// URL, "
    "or the fetched URL after redirects.",
)
@click.option(
    "--encoding",
    metavar="NAME",
    help="Character encoding of the page, e.g. windows-1256. Default: detected as Scrapy does "
    "(HTTP header, <meta charset>, byte-order mark, then UTF-8).",
)
def extract(source: str, page_url: str | None, encoding: str | None) -> None:
    """Print the extraction of one news page as JSON.

    PATH_OR_URL is a saved HTML page or an http(s) URL (fetched with one plain GET). The output is the
    article item (UTF-8, indented) with "extraction": the layer that gave each field — "site" (the Arab
    Press template), "metadata" (JSON-LD, OpenGraph, <time>, canonical) or "generic" (trafilatura). Any
    news page works; off the Arab Press template the metadata and generic layers do the work. A page that
    is not one article (home, section, tag, search…) is reported and the exit status is 1.

    Example:

        arabpress extract saved.html --url https://arab.press/2022/12/28/slug/

        arabpress extract http://127.0.0.1:8000/2022/12/28/slug/
    """
    response = build_response(source, page_url, encoding)
    page = ArticlePage(response)
    item = page.to_item()
    if item is None:
        raise click.ClickException(
            f"Not an article: {response.url} ({page.not_article_reason}). Pass the page of a single article."
        )
    text = json.dumps(item_to_dict(item), ensure_ascii=False, indent=2)
    click.echo(text.encode("utf-8"))  # bytes go to the binary stream: UTF-8 whatever the locale says
