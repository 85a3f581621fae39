"""Lead images of the mirror: tiny valid PNG files, one colour per image URL."""

from __future__ import annotations

import struct
import zlib

IMAGE_WIDTH = 16
IMAGE_HEIGHT = 9


def tiny_png(key: str) -> bytes:
    """A valid 16x9 PNG of one colour derived from ``key`` (lead images of the mirror)."""
    digest = zlib.crc32(key.encode("utf-8"))
    pixel = bytes(((digest >> 16) & 0xFF, (digest >> 8) & 0xFF, digest & 0xFF))
    raw = b"".join(b"\x00" + pixel * IMAGE_WIDTH for _ in range(IMAGE_HEIGHT))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", IMAGE_WIDTH, IMAGE_HEIGHT, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
