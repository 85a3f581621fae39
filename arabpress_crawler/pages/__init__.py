"""Page objects: pure functions of a response that extract articles and listings (no request is ever built).

What the spider calls:

* article pages: ``page = ArticlePage(response)``; ``page.to_item()`` (an ``ArticleItem``, or ``None`` when
  the page is not an article; ``page.not_article_reason`` says why) and ``page.related_urls()`` to follow;
* listing pages (home, sections, tags, authors, pagination): ``ListingPage(response).article_urls()`` and
  ``.next_page_url()``;
* RSS/Atom feeds: ``FeedPage(response).entries()`` (``url``, ``title``, ``published_at``).

Modules: :mod:`.article` (the orchestrator), :mod:`.listing`, and the three layers each field is tried in,
in order — :mod:`.site` with the selectors of :mod:`.selectors`, :mod:`.metadata` (JSON-LD, OpenGraph,
``rel`` links, header times…) and :mod:`.generic` (template-free heuristics, trafilatura, htmldate).
The template-free parts are shared by the last two layers: :mod:`.regions` (headline, article header,
article region, chrome), :mod:`.taxonomy` (section and tags from links and breadcrumbs), :mod:`.related`
(the related list under its heading) and :mod:`.bylines` (author names). :mod:`.common` holds shared text
and URL helpers, :mod:`.jsonld` the tolerant JSON-LD reading, :mod:`.refusals` why a page is not an article
(the reasons the spider counts), and :mod:`.snapshot` the JSON form the golden fixtures store.
"""
