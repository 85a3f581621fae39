"""``python -m arabpress_crawler.writer DB BATCHES_FD ACKS_FD [LOG_LEVEL]``: the writer process (started by the crawler)."""

from __future__ import annotations

import logging
import signal
import sys
from multiprocessing.connection import Connection

from arabpress_crawler.writer.server import serve


def main(argv: list[str]) -> int:
    db_path, batches_fd, acks_fd = argv[0], int(argv[1]), int(argv[2])
    level = int(argv[3]) if len(argv) > 3 else logging.INFO
    # Ctrl-C and a service stop reach the whole process group: the crawler shuts down gracefully and then
    # closes the pipe, so the writer finishes by its protocol (CLOSE or end-of-file) after its last commit.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    serve(db_path, Connection(batches_fd, writable=False), Connection(acks_fd, readable=False), level)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
