"""URL canonicalisation (w3lib) and site-URL helpers.

The canonical URL is the key of every article row, so every URL that enters the database goes through
:func:`canonicalize_url`: scheme and host lower-cased, default ports dropped, fragments dropped, tracking
parameters (``utm_*``, ``fbclid``, ``gclid``…) dropped, AMP and print variants folded into the article, query
parameters sorted, percent-escapes upper-cased, and the trailing slash WordPress gives its permalinks
(``/YYYY/MM/DD/slug/``). URLs that are not web pages (``javascript:``, ``data:``, ``mailto:``…) give ``None``.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize_url

from arabpress_crawler import site

logger = logging.getLogger(__name__)

WEB_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
#: Query parameters that only track the visitor; they never select different content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "igshid",
        "igsh",
        "si",
        "ref",
        "ref_src",
        "ref_url",
        "referer",
        "referrer",
        "share",
        "shared",
        "ocid",
        "cmpid",
        "_hsenc",
        "_hsmi",
        "spm",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_")
#: Query parameters that ask for an alternative rendering of the same article.
VARIANT_PARAMS = frozenset({"amp", "print", "output", "noamp"})
#: Trailing path segments that ask for an alternative rendering (``/slug/amp/``, ``/slug/print/``).
VARIANT_SEGMENTS = frozenset({"amp", "print"})
AMP_HOST_PREFIX = "amp."
_MAX_ROUNDS = 3
CACHE_SIZE = 65536
#: A last path segment with a file extension (``post-sitemap.xml``) keeps its bare form: no trailing slash.
_FILE_SEGMENT_RE = re.compile(r"\.[A-Za-z0-9]{1,5}$")
#: A URL with a scheme and a host: resolving it against a base gives itself.
_ABSOLUTE_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s]")
#: The path of an article's canonical URL (:data:`arabpress_crawler.site.ARTICLE_PATH`).
ARTICLE_PATH_RE = site.ARTICLE_PATH
#: Listing paths of news CMSs in general (any site): section, tag, topic, author and search pages, pagination.
CMS_LISTING_PATH = re.compile(
    r"/(?:category|tag|tags|author|topics?|search)/|/page/\d+/?$|^/search$", re.IGNORECASE
)
#: Query parameters of search and pagination pages.
LISTING_QUERY_KEYS = frozenset({"s", "q", "query", "paged"})
#: Paths of pages that list articles rather than being one: the site's own listings and feeds
#: (:data:`arabpress_crawler.site.LISTING_PATH`) and any news CMS's.
LISTING_PATH_RE = re.compile(f"(?:{site.LISTING_PATH.pattern})|(?:{CMS_LISTING_PATH.pattern})", re.IGNORECASE)
#: Host prefixes that name the same site: ``www.`` (``www2.``…), mobile and AMP hosts.
SAME_SITE_HOST_PREFIX = re.compile(r"^(?:www\d*|m|amp|mobile)\.")
#: A URL already in its canonical form, recognised without parsing it: http(s), a lower-case ASCII host of
#: letters, digits, single hyphens and dots (no ``amp.`` host), an optional port, a path of unreserved
#: characters ending with a slash, no query, no fragment. :func:`_plain_canonical` checks what a pattern
#: cannot say (port and label lengths, dot and variant segments); the tests compare it with the full rules.
_PLAIN_URL_RE = re.compile(
    r"(https?)://(?!amp\.)((?:[a-z0-9]+(?:-[a-z0-9]+)*\.)*[a-z0-9]+(?:-[a-z0-9]+)*)(?::([1-9][0-9]{0,4}))?"
    r"((?:/[A-Za-z0-9_~.\-]+)*/)"
)
MAX_HOST_LABEL = 63
#: A query of plain ``name=value`` pairs (letters, digits and unreserved characters only).
_PLAIN_QUERY_PAIR_RE = re.compile(r"([A-Za-z0-9_]+)(?:=[A-Za-z0-9_.~\-]*)?")


def _is_tracking_param(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _strip_variant_segments(path: str) -> str:
    """``/slug/amp/`` → ``/slug/`` (the path already ends with a slash unless its last segment is a file)."""
    segments = path.split("/")
    # "/a/b/amp/" splits to ["", "a", "b", "amp", ""]: the segment before the final slash is the variant.
    while len(segments) >= 3 and segments[-1] == "" and segments[-2] in VARIANT_SEGMENTS:
        del segments[-2]
    return "/".join(segments)


def _with_trailing_slash(path: str) -> str:
    if not path:
        return "/"
    last = path.rsplit("/", 1)[-1]
    if path.endswith("/") or _FILE_SEGMENT_RE.search(last):
        return path
    return path + "/"


def _clean_query(query: str) -> str:
    pairs = [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if name and not _is_tracking_param(name) and name.lower() not in VARIANT_PARAMS
    ]
    return urlencode(pairs)


def _clean_netloc(scheme: str, netloc: str) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    host, sep, port = hostport.rpartition(":") if not hostport.endswith("]") else (hostport, "", "")
    if not sep:
        host, port = hostport, ""
    host = host.lower().rstrip(".")
    if host.startswith(AMP_HOST_PREFIX) and host.count(".") >= 2:
        host = host[len(AMP_HOST_PREFIX) :]
    if port and port.isdigit() and int(port) == DEFAULT_PORTS.get(scheme):
        port = ""
    hostport = f"{host}:{port}" if port else host
    return f"{userinfo}@{hostport}" if userinfo else hostport


def _canonicalize_once(absolute: str) -> str | None:
    parts = urlsplit(absolute)
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES or not parts.hostname:
        return None
    path = _strip_variant_segments(_with_trailing_slash(parts.path))
    rebuilt = urlunsplit((scheme, _clean_netloc(scheme, parts.netloc), path, _clean_query(parts.query), ""))
    return w3lib_canonicalize_url(rebuilt, keep_fragments=False)


def canonicalize_url(url: str | None, *, base: str | None = None) -> str | None:
    """The canonical form of ``url`` (resolved against ``base``), or ``None`` if it is not a web page URL.

    Never raises: malformed input gives ``None``. Idempotent: a canonical URL canonicalises to itself.
    Results are cached (related headlines repeat the same links on every page).
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if base is not None and _ABSOLUTE_URL_RE.match(url):
        base = None  # the base changes nothing: keep it out of the cache key, or each page misses the cache
    return _canonicalize_cached(url, base)


def _plain_canonical(url: str) -> bool:
    """True when ``url`` is plainly canonical already (:data:`_PLAIN_URL_RE`): the rules would return it."""
    match = _PLAIN_URL_RE.fullmatch(url)
    if match is None:
        return False
    scheme, host, port, path = match.groups()
    if port is not None and (int(port) > 65535 or int(port) == DEFAULT_PORTS[scheme]):
        return False
    if any(len(label) > MAX_HOST_LABEL for label in host.split(".")):
        return False
    segments = path.split("/")
    return not any(segment in (".", "..") for segment in segments) and segments[-2] not in VARIANT_SEGMENTS


def _plain_tracking_query(query: str) -> bool:
    """True when ``query`` holds only plain tracking parameters (``utm_source=related&utm_medium=web``)."""
    for pair in query.split("&"):
        match = _PLAIN_QUERY_PAIR_RE.fullmatch(pair)
        if match is None or not _is_tracking_param(match.group(1)):
            return False
    return True


def _plain_canonical_form(url: str) -> str | None:
    """The canonical form of a plain URL (:func:`_plain_canonical`) with, at most, a query of plain tracking
    parameters, which the rules drop; ``None`` for any other URL (the rules decide)."""
    head, mark, query = url.partition("?")
    if mark and not _plain_tracking_query(query):
        return None
    return head if _plain_canonical(head) else None


@lru_cache(maxsize=CACHE_SIZE)
def _canonicalize_cached(url: str, base: str | None) -> str | None:
    if base is None and (plain := _plain_canonical_form(url)) is not None:
        return plain  # the usual link of a site's own pages: what the rules would give, without parsing
    return _canonicalize_by_rules(url, base)


def _canonicalize_by_rules(url: str, base: str | None) -> str | None:
    """:func:`canonicalize_url` by its rules (parsing the URL), uncached."""
    try:
        absolute = urljoin(base, url) if base else url
        result = _canonicalize_once(absolute)
        if result == absolute:  # a fixed point already (the usual case: links that are canonical)
            return result
        # w3lib resolves dot segments and re-encodes; apply the rules again until nothing changes.
        for _ in range(_MAX_ROUNDS):
            again = _canonicalize_once(result) if result else None
            if again == result:
                break
            result = again
        return result
    except ValueError as error:  # invalid ports, IPv6 brackets, IDNA failures
        logger.debug("Unusable URL %r: %s", url, error)
        return None


def site_key(url: str | None) -> tuple[str, int | None] | None:
    """(host without ``www.``/``m.``/``amp.``/``mobile.``, explicit non-default port) of ``url``; ``None`` if
    it is not an absolute web URL.

    Read straight off the URL (lower-cased host, trailing dot, default port), as :func:`canonicalize_url`
    would give them, without canonicalising the whole URL: related lists compare thousands of links.
    A host that is not ASCII takes the full canonicalisation (IDNA).
    """
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in WEB_SCHEMES or not host:
        return None
    if not host.isascii():
        canonical = canonicalize_url(url)
        return site_key(canonical) if canonical and canonical.isascii() else None
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    if host.count(".") >= 2:  # m.arab.press is arab.press; amp.com stays amp.com
        host = SAME_SITE_HOST_PREFIX.sub("", host, count=1)
    return host, port


@lru_cache(maxsize=256)
def _base_site_key(base: str) -> tuple[str, int | None] | None:
    """:func:`site_key` of a page's own URL, asked once per link of the page."""
    return site_key(base)


def is_same_site(url: str | None, base: str | None) -> bool:
    """True when ``url`` is on the site of ``base``: the one definition of "same site" of the project.

    The same host up to ``www.``/``m.``/``amp.``/``mobile.`` and the same port (default ports and the scheme
    ignored). A subdomain is another site, and so is another port of the same host.
    """
    if not isinstance(base, str):
        return False
    key = site_key(url)
    return key is not None and key == _base_site_key(base)


def is_listing_url(url: str | None) -> bool:
    """True for pages that list articles rather than being one: the one definition of "listing URL".

    Home, section, tag, topic, author, search and pagination pages, feeds and sitemaps, WordPress's own paths
    (:data:`LISTING_PATH_RE`), and search or pagination queries (``?s=``, ``?paged=``).
    """
    # The path as canonicalisation leaves it (trailing slash, no /amp/ segment), without canonicalising the
    # whole URL: listing checks run on every link of every page.
    if not url or not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return False
    if LISTING_PATH_RE.search(_strip_variant_segments(_with_trailing_slash(parts.path))):
        return True
    query = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
    return any(name in LISTING_QUERY_KEYS for name, _ in query)


def is_article_url(url: str | None) -> bool:
    """True for the site's article URLs: date permalinks ``/YYYY/MM/DD/slug/`` (an AMP copy canonicalises to
    its article, so it counts too)."""
    canonical = canonicalize_url(url)
    return canonical is not None and bool(ARTICLE_PATH_RE.match(urlsplit(canonical).path))
