"""The web archive: every article response kept as WARC (ISO 28500), and read back for re-extraction.

Why WARC, and why :mod:`warcio`
-------------------------------
WARC is the format of web archives (the Internet Archive, national libraries, Common Crawl); its tools
(warcio, pywb, the CDX indexers, replay in a browser) read these files without this project. Two libraries of
the field were evaluated:

* ``scrapy-webarchive`` (0.5.3, the Scrapy extension) requires ``Scrapy<2.12`` and pins ``warcio==1.7.4``, and
  this project runs Scrapy 2.13+; it archives every response (no choice of pages), opens the file again for
  each record, gives no record offsets back to the item that came from the response, writes one WARC per run
  with no rotation, and packs it into a WACZ only when the spider closes (a killed crawl leaves none).
* ``warcio`` (1.8, Webrecorder's reader and writer, on which scrapy-webarchive itself is built) writes and
  reads the records, computes the digests, puts each record in a gzip member of its own (compressed as
  :mod:`arabpress_crawler.archive.writer` chooses: bodies the server compressed are stored) and decodes
  ``Content-Encoding`` when reading. What a Scrapy crawl needs around it (which responses, where the record is,
  rotation, a file cut short) is small and lives in this package.

So this package uses :mod:`warcio` directly.

What is captured, and where
---------------------------
:class:`~arabpress_crawler.archive.capture.ArchiveMiddleware` is a downloader middleware at 595: after
redirects (600) are followed and *before* ``HttpCompressionMiddleware`` (590) decompresses the body. A
response record therefore holds the body as the server sent it (``Content-Encoding: gzip`` kept, so the
payload digest is over the bytes on the wire) and the server's headers, with two exceptions Scrapy imposes:
the HTTP client has already removed any chunked transfer coding (``Transfer-Encoding`` is left out of the
record so readers do not try to de-chunk) and header names come in Scrapy's normalised case. Readers get the
decoded body with warcio's ``record.content_stream()`` (see :mod:`arabpress_crawler.archive.reader`). The
request record holds the request as Scrapy sent it (headers of every downloader middleware, ``Host`` added).

Only article pages are archived unless ``ARABPRESS_ARCHIVE_PAGES = "all"`` (then listings, the feed,
sitemaps and ``robots.txt`` too); only ``2xx`` responses are (a 304 has nothing new). The record's place
(:class:`~arabpress_crawler.items.ArchiveRecord`: file, offset, length, record id) reaches the item through
:class:`~arabpress_crawler.archive.capture.ArchiveRecordMiddleware`, a spider middleware, so the spider
itself knows nothing of the archive and ``scrapy crawl`` archives exactly as ``arabpress crawl`` does.

Where the records are built: with the writer process (``ARABPRESS_WRITER=process``, the default, and distributed
workers) the middleware only hands a capture of the response to the writer's pipeline and the writer process
writes the records, before the rows that point at them (:mod:`arabpress_crawler.archive.handoff`); otherwise
(``inline``, feed exports) the middleware writes them in the crawler.

Files (see :mod:`arabpress_crawler.archive.files`): ``<db dir>/archive/<db stem>-<timestamp>-<serial>.warc.gz``,
rotated at ``ARABPRESS_ARCHIVE_MAX_BYTES`` (1 GB, the size the WARC guidelines suggest), named
``….warc.gz.open`` while written (as Heritrix does) and locked by the writing process. A file left ``.open`` by
a killed crawl is cut back to its last complete record and closed by the next crawl, which starts a new file.

Settings: ``ARABPRESS_ARCHIVE`` (on; ``arabpress crawl --no-archive`` or ``-s ARABPRESS_ARCHIVE=0`` turn it
off), ``ARABPRESS_ARCHIVE_DIR`` (default ``archive`` beside the database), ``ARABPRESS_ARCHIVE_PAGES``
(``articles`` or ``all``), ``ARABPRESS_ARCHIVE_MAX_BYTES``.
"""

from __future__ import annotations
