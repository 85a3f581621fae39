"""The mirror server answers like the real site (301, 404, 304, gzip, origin rewrite) and each fault switch
misbehaves as documented. Everything runs on 127.0.0.1."""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from arabpress_mirror.content import BROKEN_LINK_PATH, ORIGIN, demo_articles
from arabpress_mirror.faults import FAULT_KINDS, parse_fault_spec
from arabpress_mirror.layout import DEMO_SITE_DIR
from arabpress_mirror.responses import parse_etags
from arabpress_mirror.server import MirrorServer

SEED = demo_articles()[0]
ARABIC = next(article for article in demo_articles() if article.language == "ar" and "%" in article.path)


@pytest.fixture(scope="module")
def server() -> Iterator[MirrorServer]:
    with MirrorServer() as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults(server: MirrorServer) -> Iterator[None]:
    server.clear_faults()
    yield
    server.clear_faults()


def get(
    server: MirrorServer, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


# --- normal behaviour ----------------------------------------------------------------------------------


def test_serves_article_with_origin_rewritten(server: MirrorServer) -> None:
    response, body = get(server, SEED.path)
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/html; charset=UTF-8"
    text = body.decode("utf-8")
    assert f'<link rel="canonical" href="{server.base_url}{SEED.path}">' in text
    assert ORIGIN not in text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/feed/", "application/rss+xml; charset=UTF-8"),
        ("/sitemap_index.xml", "application/xml; charset=UTF-8"),
        ("/post-sitemap.xml", "application/xml; charset=UTF-8"),
        ("/news-sitemap.xml", "application/xml; charset=UTF-8"),
        ("/robots.txt", "text/plain; charset=UTF-8"),
        ("/", "text/html; charset=UTF-8"),
    ],
)
def test_content_types(server: MirrorServer, path: str, content_type: str) -> None:
    response, body = get(server, path)
    assert response.status == 200 and response.getheader("Content-Type") == content_type
    assert ORIGIN.encode() not in body


def test_robots_names_the_servers_own_sitemap(server: MirrorServer) -> None:
    _, body = get(server, "/robots.txt")
    assert f"Sitemap: {server.base_url}/sitemap_index.xml" in body.decode()


def test_missing_trailing_slash_redirects_permanently(server: MirrorServer) -> None:
    response, _ = get(server, SEED.path.rstrip("/") + "?utm_source=x")
    assert response.status == 301
    assert response.getheader("Location") == f"{server.base_url}{SEED.path}?utm_source=x"


def test_unknown_page_is_a_404_with_the_theme_page(server: MirrorServer) -> None:
    response, body = get(server, BROKEN_LINK_PATH)
    assert response.status == 404
    assert b'class="error404"' in body and b"site-header" in body


def test_query_strings_are_ignored(server: MirrorServer) -> None:
    plain, plain_body = get(server, SEED.path)
    tracked, tracked_body = get(server, SEED.path + "?utm_source=related&fbclid=abc")
    assert tracked.status == plain.status == 200 and tracked_body == plain_body


def test_percent_encoded_arabic_path_upper_or_lower_case(server: MirrorServer) -> None:
    server.reset_requests()
    lower, _ = get(server, ARABIC.path)
    upper, _ = get(server, ARABIC.path.upper())
    assert lower.status == 200 and upper.status == 200
    assert server.request_count(ARABIC.path) == 2


def test_etag_and_if_none_match_answer_304(server: MirrorServer) -> None:
    response, _ = get(server, SEED.path)
    etag = response.getheader("ETag")
    assert etag and response.getheader("Last-Modified")
    again, body = get(server, SEED.path, {"If-None-Match": etag})
    assert again.status == 304 and body == b"" and again.getheader("ETag") == etag
    changed, _ = get(server, SEED.path, {"If-None-Match": '"something-else"'})
    assert changed.status == 200


def test_if_modified_since_answers_304(server: MirrorServer) -> None:
    response, _ = get(server, "/feed/")
    last_modified = response.getheader("Last-Modified")
    again, _ = get(server, "/feed/", {"If-Modified-Since": last_modified})
    assert again.status == 304
    older, _ = get(server, "/feed/", {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status == 200


def test_gzip_when_accepted(server: MirrorServer) -> None:
    plain, plain_body = get(server, SEED.path)
    zipped, zipped_body = get(server, SEED.path, {"Accept-Encoding": "gzip, deflate"})
    assert zipped.getheader("Content-Encoding") == "gzip"
    assert zipped.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(zipped_body) == plain_body
    assert plain.getheader("Content-Encoding") is None
    assert zipped.getheader("ETag") != plain.getheader("ETag")
    revalidated, _ = get(
        server, SEED.path, {"Accept-Encoding": "gzip", "If-None-Match": zipped.getheader("ETag")}
    )
    assert revalidated.status == 304


def test_head_sends_headers_only(server: MirrorServer) -> None:
    response, body = get(server, SEED.path, method="HEAD")
    assert response.status == 200 and body == b"" and int(response.getheader("Content-Length")) > 1000


def test_images_are_served_as_png(server: MirrorServer) -> None:
    response, body = get(server, SEED.image_url.removeprefix(ORIGIN))
    assert response.getheader("Content-Type") == "image/png" and body.startswith(b"\x89PNG")


def test_path_traversal_is_refused(server: MirrorServer) -> None:
    response, _ = get(server, "/../../etc/passwd")
    assert response.status == 404


def test_request_counts_are_thread_safe(server: MirrorServer) -> None:
    server.reset_requests()
    workers = [
        threading.Thread(target=lambda: [get(server, "/robots.txt") for _ in range(10)]) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert server.requests["/robots.txt"] == 40
    assert server.request_count(server.url("/robots.txt")) == 40


def test_only_loopback_addresses() -> None:
    with pytest.raises(ValueError, match="loopback"):
        MirrorServer(host="0.0.0.0")


def test_serves_another_root(tmp_path: Path) -> None:
    (tmp_path / "hello").mkdir()
    (tmp_path / "hello" / "index.html").write_text(f'<a href="{ORIGIN}/x/">x</a>', encoding="utf-8")
    with MirrorServer(tmp_path) as other:
        response, body = get(other, "/hello/")
        assert response.status == 200 and body.decode() == f'<a href="{other.base_url}/x/">x</a>'
        missing, _ = get(other, "/nothing/")
        assert missing.status == 404


# --- faults --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [503, 429])
def test_retry_after_faults_for_the_first_requests(server: MirrorServer, code: int) -> None:
    server.set_fault("/feed/", str(code), times=2, retry_after=7)
    statuses = []
    for _ in range(3):
        response, _ = get(server, "/feed/")
        statuses.append((response.status, response.getheader("Retry-After")))
    assert statuses == [(code, "7"), (code, "7"), (200, None)]


def test_slow_fault_still_serves_the_page(server: MirrorServer) -> None:
    server.set_fault(SEED.path, "slow", seconds=0.1)
    response, body = get(server, SEED.path)
    assert response.status == 200 and SEED.title.encode() in body


def test_truncate_fault_closes_before_the_declared_length(server: MirrorServer) -> None:
    server.set_fault(SEED.path, "truncate", fraction=0.25)
    with pytest.raises(http.client.IncompleteRead) as caught:
        get(server, SEED.path)
    assert len(caught.value.partial) > 0 and caught.value.expected > 0


def test_reset_fault_answers_nothing(server: MirrorServer) -> None:
    server.set_fault("/", "reset")
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        get(server, "/")


def test_stall_fault_answers_nothing_until_the_server_stops() -> None:
    with MirrorServer() as stalled:
        stalled.set_fault("/", "stall")
        client = socket.create_connection((stalled.host, stalled.port), timeout=0.3)
        client.sendall(b"GET / HTTP/1.1\r\nHost: mirror\r\n\r\n")
        with pytest.raises(TimeoutError):
            client.recv(1024)
        client.settimeout(10)
        stalled.stop()
        assert client.recv(1024) == b""
        client.close()


@pytest.mark.parametrize("code", [403, 404, 410, 500])
def test_status_fault(server: MirrorServer, code: int) -> None:
    server.set_fault(SEED.path, "status", code=code)
    response, body = get(server, SEED.path)
    assert response.status == code
    assert (b"error404" in body) == (code in (404, 410))


def test_redirect_fault(server: MirrorServer) -> None:
    server.set_fault("/old-address/", "redirect", target=SEED.path)
    response, _ = get(server, "/old-address/")
    assert response.status == 301 and response.getheader("Location") == server.base_url + SEED.path


def test_redirect_loop_never_ends(server: MirrorServer) -> None:
    server.set_fault("/loop/", "redirect-loop")
    path, locations = "/loop/", []
    for _ in range(5):
        response, _ = get(server, path)
        assert response.status == 302
        path = response.getheader("Location").removeprefix(server.base_url)
        locations.append(path)
    assert locations == [f"/loop/?loop={hop}" for hop in range(1, 6)]


def test_binary_fault(server: MirrorServer) -> None:
    server.set_fault("/", "binary", size=2048, seed=3)
    response, body = get(server, "/", {"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Type") == "text/html; charset=UTF-8"
    assert len(body) == 2048 and response.getheader("Content-Encoding") is None
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_huge_fault_streams_a_valid_page(server: MirrorServer) -> None:
    server.set_fault("/big/", "huge", megabytes=1)
    response, body = get(server, "/big/")
    assert int(response.getheader("Content-Length")) == len(body) == 1024 * 1024
    assert body.startswith(b"<!DOCTYPE html>") and body.endswith(b"</body></html>")


@pytest.mark.parametrize("encoding", ["windows-1256", "iso-8859-6"])
def test_charset_fault_declared(server: MirrorServer, encoding: str) -> None:
    _, original = get(server, ARABIC.path)
    server.set_fault(ARABIC.path, "charset", encoding=encoding)
    response, body = get(server, ARABIC.path)
    assert response.getheader("Content-Type") == f"text/html; charset={encoding}"
    assert f'<meta charset="{encoding}">'.encode() in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert ARABIC.paragraphs[-1] in body.decode(encoding)
    assert len(body) != len(original)


def test_charset_fault_undeclared(server: MirrorServer) -> None:
    server.set_fault(ARABIC.path, "charset", encoding="windows-1256", declare=False)
    response, body = get(server, ARABIC.path)
    assert response.getheader("Content-Type") == "text/html"
    assert b"charset" not in body.split(b"</head>")[0].lower()
    assert ARABIC.title.replace("\u0640", "") in body.decode("windows-1256").replace("\u0640", "")


def test_body_fault(server: MirrorServer) -> None:
    server.set_fault("/custom/", "body", body=b"<html>hello</html>", code=202)
    response, body = get(server, "/custom/")
    assert response.status == 202 and body == b"<html>hello</html>"


def test_wildcard_faults_and_clearing(server: MirrorServer) -> None:
    server.set_fault("/2025/*", "status", code=410)
    article = next(article for article in demo_articles() if article.path.startswith("/2025/"))
    assert get(server, article.path)[0].status == 410
    assert get(server, SEED.path)[0].status == 200
    server.clear_faults()
    assert get(server, article.path)[0].status == 200


def test_every_fault_kind_is_documented_and_tested() -> None:
    import arabpress_mirror.faults as module

    tested = {"503", "429", "slow", "truncate", "reset", "stall", "status", "redirect", "redirect-loop",
              "binary", "huge", "charset", "body"}  # fmt: skip
    assert set(FAULT_KINDS) == tested
    for kind in FAULT_KINDS:
        assert f"``{kind}``" in module.__doc__


def test_parse_fault_spec() -> None:
    assert parse_fault_spec("/feed/=503:times=2,retry_after=5") == (
        "/feed/",
        "503",
        {"times": 2, "retry_after": 5},
    )
    assert parse_fault_spec("/x/=charset:encoding=iso-8859-6,declare=false") == (
        "/x/",
        "charset",
        {"encoding": "iso-8859-6", "declare": False},
    )
    for bad in ("feed=503", "/feed/", "/feed/=teapot", "/a/=redirect", "/a/=503:times"):
        with pytest.raises(ValueError):
            parse_fault_spec(bad)


def test_parse_etags() -> None:
    assert parse_etags('W/"abc", "def-gzip"') == {"abc", "def"}


def test_default_root_is_the_packaged_demo_site() -> None:
    assert MirrorServer().root == DEMO_SITE_DIR.resolve()


@pytest.mark.parametrize("error", [ConnectionResetError(104, "reset by peer"), BrokenPipeError(32, "broken pipe")])
def test_a_client_that_hangs_up_is_not_a_traceback(
    server: MirrorServer, error: OSError, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crawler stopped mid-answer (SIGINT, a cancelled request) resets its connections: the server goes
    on, and says nothing worse than a debug line (socketserver's default prints a traceback)."""
    assert server._httpd is not None
    try:
        raise error
    except OSError:
        server._httpd.handle_error(None, ("127.0.0.1", 50000))
    assert "Traceback" not in capsys.readouterr().err
    assert get(server, SEED.path)[0].status == 200


def test_other_errors_still_show_their_traceback(server: MirrorServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert server._httpd is not None
    try:
        raise ValueError("a bug in the handler")
    except ValueError:
        server._httpd.handle_error(None, ("127.0.0.1", 50000))
    assert "ValueError: a bug in the handler" in capsys.readouterr().err
