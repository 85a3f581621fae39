"""The writer process: the dedupe and store stages of a crawl, run apart from the crawler.

The crawler process fetches and extracts; :class:`~arabpress_crawler.writer.client.WriterPipeline` sends the
items, in batches, to one writer process (:mod:`arabpress_crawler.writer.server`) that runs the clean,
validate, dedupe and store pipelines on its own connection (clean and validate stay in the crawler when other
pipelines or feed exports need cleaned items, and in a distributed worker), commits each batch and only then acknowledges it
(:mod:`arabpress_crawler.writer.protocol`). The acknowledgement carries what the commit did (stats, the run
record's counters, the log lines of the writer), which the crawler merges into its stats and the one
``crawl_runs`` row the :class:`~arabpress_crawler.run_record.RunRecord` extension keeps.

Chosen with the ``ARABPRESS_WRITER`` setting (or environment variable): ``process`` (the default) or
``inline`` (the dedupe and store pipelines in the crawler's own thread, as before);
:class:`~arabpress_crawler.writer.addon.WriterAddon` swaps the pipelines.

A killed writer or crawler loses nothing the next run would not fetch again: only committed batches are
acknowledged, a batch is received whole or not at all, and a run that ends without its writer is recorded as
failed (its sitemap lastmods are not trusted by the next run).
"""

from __future__ import annotations

#: The setting (and environment variable) that chooses where the dedupe and store stages run.
WRITER_SETTING = "ARABPRESS_WRITER"
WRITER_PROCESS = "process"
WRITER_INLINE = "inline"
WRITER_MODES = (WRITER_PROCESS, WRITER_INLINE)
#: Set by the add-on when the clean and validate stages run in the writer process too (see its docstring).
WRITER_PREPARES_SETTING = "ARABPRESS_WRITER_PREPARES"
#: Set by the add-on when the writer process writes the web archive too (:mod:`arabpress_crawler.archive.handoff`).
ARCHIVE_IN_WRITER_SETTING = "ARABPRESS_ARCHIVE_IN_WRITER"
