"""arabpress-mirror: a local mirror of the Arab Press site, the test double the tests, the demo and the
benchmarks crawl instead of the real site.

It is installed beside ``arabpress_crawler`` by the same ``pyproject.toml`` and imports nothing of it (the
crawler must read what the mirror writes without sharing its tables); in the crawler only ``arabpress mirror``
and ``arabpress demo`` import it. The parts:

* the site as data: :mod:`.content` (the demo articles, from ``content/``), :mod:`.generate` (N articles);
* pages as text: :mod:`.render` (:class:`~.render.SiteRenderer`) with :mod:`.theme`, :mod:`.structured_data`,
  :mod:`.dates`, :mod:`.urls` and :mod:`.images`;
* files on disk: :mod:`.writer` (:func:`~.writer.render_site`), :mod:`.layout`, :mod:`.build` (re-renders the
  packaged ``site/``: ``python -m arabpress_mirror.build``), :mod:`.edit` (an editor's update of a post);
* serving: :mod:`.server` (:class:`~.server.MirrorServer`), :mod:`.handler`, :mod:`.responses` and
  :mod:`.faults` (the fault switches and what each answers).
"""
