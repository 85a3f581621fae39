"""The WARC writer and reader on their own: records warcio reads back, rotation, files cut short by a crash."""

from __future__ import annotations

import dataclasses
import gzip
import random
import shutil
import zlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from arabpress_crawler.archive import files
from arabpress_crawler.archive.reader import RecordMissing, iter_responses, read_response, scrapy_response
from arabpress_crawler.archive.writer import ArchiveWriter, Exchange
from arabpress_crawler.items import ArchiveRecord

PAGE = "<html><head><title>خبر</title></head><body><p>نص الخبر {n}</p></body></html>"


def exchange(n: int, *, size: int = 0) -> Exchange:
    page = (PAGE.format(n=n) + random.Random(n).randbytes(size).hex()).encode("utf-8")
    body = gzip.compress(page, mtime=0)
    return Exchange(
        url=f"https://arab.press/2024/01/0{n % 9 + 1}/story-{n}/",
        method="GET",
        request_target=f"/2024/01/0{n % 9 + 1}/story-{n}/",
        request_headers=[("Host", "arab.press"), ("Accept-Encoding", "gzip")],
        request_body=b"",
        protocol="HTTP/1.1",
        status=200,
        reason="OK",
        response_headers=[
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(body))),
            ("ETag", f'"e{n}-gzip"'),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ],
        body=body,
        ip_address="127.0.0.1",
    )


def writer(tmp_path: Path, **kwargs: int) -> ArchiveWriter:
    return ArchiveWriter(tmp_path / "archive", prefix="news", base=tmp_path, **kwargs)


def test_records_read_back_with_warcio_and_by_their_place(tmp_path: Path) -> None:
    archive = writer(tmp_path)
    archive.open()
    records = [archive.write(exchange(n)) for n in range(3)]
    open_files = list((tmp_path / "archive").glob("*.warc.gz.open"))
    assert len(open_files) == 1, "a file being written keeps its .open name"
    archive.close()
    assert not list((tmp_path / "archive").glob("*.open"))
    [path] = (tmp_path / "archive").glob("news-*.warc.gz")
    assert {record.file for record in records} == {f"archive/{path.name}"}

    with path.open("rb") as handle:
        types = [record.rec_type for record in ArchiveIterator(handle)]
    assert types == ["warcinfo"] + ["request", "response"] * 3

    for n, record in enumerate(records):
        archived = read_response(record, tmp_path)
        assert archived.record_id == record.record_id
        assert archived.body == PAGE.format(n=n).encode("utf-8"), "the body comes back decoded"
        assert archived.header("Content-Encoding") == "gzip", "the server's headers are kept"
        assert [value for name, value in archived.headers if name == "Set-Cookie"] == ["a=1", "b=2"]
    assert [offset for offset, _, _ in iter_responses(path)] == [record.offset for record in records]


def test_each_record_is_one_gzip_member_whose_digests_warcio_verifies(tmp_path: Path) -> None:
    """Bodies the server compressed (stored members, also over 64 KiB) and plain bodies (compressed) alike."""
    plain = exchange(5)
    page = PAGE.format(n=5).encode("utf-8") * 600  # over 32 KiB: zlib's whole window
    headers = [(name, value) for name, value in plain.response_headers if name != "Content-Encoding"]
    plain = dataclasses.replace(plain, body=page, response_headers=headers)
    archive = writer(tmp_path)
    archive.open()
    small = dataclasses.replace(plain, body=PAGE.format(n=6).encode("utf-8"))
    records = [archive.write(exchange(1)), archive.write(exchange(2, size=80_000)), archive.write(plain)]
    records.append(archive.write(small))
    archive.close()
    [path] = (tmp_path / "archive").glob("news-*.warc.gz")
    read = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, check_digests="raise"):  # a wrong digest raises
            record.content_stream().read()
            read.append((record.rec_type, record.digest_checker.passed))
    assert read == [("warcinfo", True)] + [("request", True), ("response", True)] * 4
    data = path.read_bytes()
    for record in records:
        member = zlib.decompressobj(zlib.MAX_WBITS + 16)
        member.decompress(data[record.offset : record.offset + record.length])
        assert member.eof and member.unused_data == b"", "a record's place is exactly one gzip member"
    assert read_response(records[1], tmp_path).body == PAGE.format(n=2).encode() + random.Random(2).randbytes(
        80_000
    ).hex().encode()
    assert read_response(records[2], tmp_path).body == page
    assert records[2].length < len(page) / 10, "a body the server did not compress is compressed in the archive"
    assert read_response(records[3], tmp_path).body == small.body


def test_scrapy_response_is_what_the_spider_got(tmp_path: Path) -> None:
    archive = writer(tmp_path)
    archive.open()
    record = archive.write(exchange(4))
    archive.close()
    response = scrapy_response(read_response(record, tmp_path))
    assert response.text == PAGE.format(n=4)
    assert response.css("title::text").get() == "خبر"
    assert b"Content-Encoding" not in response.headers, "the body handed over is decoded"


def test_files_rotate_at_the_size_limit(tmp_path: Path) -> None:
    archive = writer(tmp_path, max_bytes=1500)
    archive.open()
    records = [archive.write(exchange(n, size=3000)) for n in range(4)]
    archive.close()
    assert len({record.file for record in records}) == 4
    assert len(list((tmp_path / "archive").glob("news-*.warc.gz"))) == 4
    for record in records:
        assert read_response(record, tmp_path).record_id == record.record_id


def test_a_wrong_place_is_reported_not_misread(tmp_path: Path) -> None:
    archive = writer(tmp_path)
    archive.open()
    first, second = archive.write(exchange(1)), archive.write(exchange(2))
    archive.close()
    with pytest.raises(RecordMissing):
        read_response(ArchiveRecord(first.file, first.offset, first.length, second.record_id), tmp_path)
    with pytest.raises(RecordMissing):
        read_response(ArchiveRecord("archive/gone.warc.gz", 0, 10, first.record_id), tmp_path)


def crashed_file(tmp_path: Path, cut: int) -> tuple[Path, list[ArchiveRecord]]:
    """A file as a killed crawl leaves it: still ``.open``, its last record ``cut`` bytes short."""
    archive = writer(tmp_path)
    archive.open()
    records = [archive.write(exchange(n)) for n in range(3)]
    assert archive._path is not None
    left = tmp_path / "left-open"
    shutil.copy(archive._path, left)  # a copy: the writer's lock does not come with it
    archive.close()
    final = tmp_path / records[0].file
    final.unlink()
    open_path = final.with_name(final.name + files.OPEN_SUFFIX)
    data = left.read_bytes()
    open_path.write_bytes(data[: len(data) - cut])
    return open_path, records


def test_a_file_cut_short_by_a_crash_is_closed_and_a_new_one_started(tmp_path: Path) -> None:
    open_path, records = crashed_file(tmp_path, cut=100)
    archive = writer(tmp_path)
    recovered = archive.open()
    archive.write(exchange(9))
    archive.close()

    assert [item.path.name for item in recovered] == [Path(records[0].file).name]
    assert not open_path.exists()
    final = recovered[0].path
    # The cut record's request record came before it, whole: the file ends there.
    assert final.stat().st_size == records[2].offset, "cut back to the last whole record"
    for record in records[:2]:
        assert read_response(record, tmp_path).record_id == record.record_id
    with pytest.raises(RecordMissing):
        read_response(records[2], tmp_path)
    assert len(list((tmp_path / "archive").glob("news-*.warc.gz"))) == 2, "the next run writes a new file"
    with final.open("rb") as handle:  # warcio reads the repaired file to its end
        assert [record.rec_type for record in ArchiveIterator(handle)][-2:] == ["response", "request"]


def test_a_file_another_writer_holds_is_left_alone(tmp_path: Path) -> None:
    first = writer(tmp_path)
    first.open()
    first.write(exchange(1))
    second = writer(tmp_path)
    assert second.open() == []
    assert first._path is not None and first._path.exists()
    second.close()
    first.close()


def test_complete_length_of_whole_and_cut_files(tmp_path: Path) -> None:
    members = [gzip.compress(b"WARC/1.1 one"), gzip.compress(b"WARC/1.1 two")]
    path = tmp_path / "f.gz"
    path.write_bytes(members[0] + members[1])
    with path.open("rb") as handle:
        assert files.complete_length(handle) == len(members[0]) + len(members[1])
    path.write_bytes(members[0] + members[1][:-3])
    with path.open("rb") as handle:
        assert files.complete_length(handle) == len(members[0])
    path.write_bytes(members[0] + b"not gzip at all")
    with path.open("rb") as handle:
        assert files.complete_length(handle) == len(members[0])
