"""Template-free heuristics on small hand-written pages: section and tags, related lists, dates, standfirst,
authors, the regions of a page and the links that count as articles."""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse

from arabpress_crawler.items import ArticleItem
from arabpress_crawler.pages.article import ArticlePage
from arabpress_crawler.pages.bylines import drop_noise, names_from_byline
from arabpress_crawler.pages.common import is_article_link
from arabpress_crawler.pages.regions import ArticleRegions
from arabpress_crawler.pages.related import heading_strength
from arabpress_crawler.pages.taxonomy import section_from_crumbs

URL = "https://news.example/2024/05/14/the-story/"
SENTENCES = (
    "The council voted on Tuesday to extend the programme for another three years after a long debate.",
    "Officials said the money would come from the regional budget and from a loan by a development bank.",
    "Critics argued that the first phase had cost far more than planned and delivered less than promised.",
    "The next review of the programme is expected at the end of the year, according to the council.",
)
BODY = "".join(f"<p>{sentence}</p>" for sentence in SENTENCES)
MASTHEAD = (
    '<header class="site-header"><a class="logo" href="/">News Example</a>'
    '<time datetime="2026-11-25">Wednesday</time>'
    '<nav><a href="/category/world/">World</a><a href="/tag/everything/">Everything</a></nav></header>'
)


def extract(body: str, head: str = "", url: str = URL, lang: str = "en") -> ArticleItem:
    html = f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'
    item = ArticlePage(HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")).to_item()
    assert item is not None
    return item


def article(header: str = "", after_body: str = "", title: str = "Council extends the programme") -> str:
    """A page of an unknown template: masthead, then an article with ``header`` under its headline."""
    return f"{MASTHEAD}<main><article><h1>{title}</h1>{header}<div class='content'>{BODY}</div>{after_body}</article></main>"


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def related_of(item: ArticleItem) -> list[tuple[str, str]]:
    return [(headline.title, headline.url) for headline in item.related]


# -- section and tags -----------------------------------------------------------------------------------------


def test_rel_category_and_rel_tag_of_the_article_not_of_the_menu() -> None:
    item = extract(
        article(
            header='<div class="meta"><a href="/category/gulf/" rel="category tag">Gulf</a></div>',
            after_body='<footer><a href="/tag/oil/" rel="tag">Oil</a><a href="/tag/opec/" rel="tag">OPEC</a></footer>',
        )
    )
    assert item.section == "Gulf"
    assert item.tags == ["Oil", "OPEC"], (
        "the category's rel='category tag' is not a tag; the menu is not read"
    )
    assert item.extraction["section"] == item.extraction["tags"] == "metadata"


def test_tags_in_a_footer_outside_any_article_element() -> None:
    body = (
        f"{MASTHEAD}<div class='main'><div class='post'><h1>Council extends the programme</h1>"
        f"<div class='text'>{BODY}</div><footer class='entry-footer'><a href='/tag/budget/' rel='tag'>Budget</a>"
        "</footer></div><div class='sidebar'><a href='/tag/cloud/' rel='tag'>Cloud</a></div></div>"
    )
    assert extract(body).tags == ["Budget"]


def test_section_and_tags_from_link_paths_in_the_article() -> None:
    item = extract(
        article(
            header='<a class="label" href="/category/politics/">Politics</a>',
            after_body='<ul class="topics"><li><a href="/topics/elections">#Elections</a></li>'
            '<li><a href="/%D9%88%D8%B3%D9%85/%D8%A8%D8%B1%D9%84%D9%85%D8%A7%D9%86">برلمان</a></li></ul>',
        )
    )
    assert item.section == "Politics"
    assert item.tags == ["Elections", "برلمان"]
    assert item.extraction["section"] == item.extraction["tags"] == "generic"


def test_a_tag_link_inside_a_sentence_is_not_a_tag() -> None:
    sentence = (
        "Read our coverage of the <a href='/tag/budget/'>budget</a> debate, which went on for a week or more."
    )
    item = extract(article(after_body=f"<p>{sentence}</p>"))
    assert item.tags == []


def test_section_from_json_ld_breadcrumbs_in_any_order() -> None:
    crumbs = {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 3, "name": "Council extends the programme"},
            {"@type": "ListItem", "position": 1, "name": "Home", "item": "https://news.example/"},
            {
                "@type": "ListItem",
                "position": 2,
                "name": "Local",
                "item": {"@id": "https://news.example/local/"},
            },
        ],
    }
    item = extract(article(), head=json_ld(crumbs))
    assert item.section == "Local"
    assert item.extraction["section"] == "metadata"


def test_section_from_visible_arabic_breadcrumbs() -> None:
    trail = (
        '<ol class="breadcrumb"><li><a href="/">الرئيسية</a></li><li><a href="/section/economy">اقتصاد</a></li>'
        '<li class="active">المجلس يمدد البرنامج</li></ol>'
    )
    item = extract(trail + article(title="المجلس يمدد البرنامج"), lang="ar")
    assert item.section == "اقتصاد"


@pytest.mark.parametrize(
    ("crumbs", "expected"),
    [
        ([("Home", "https://news.example/"), ("World", "https://news.example/world/")], "World"),
        ([("Home", None), ("World", "https://news.example/world/"), ("Council extends…", None)], "World"),
        ([("World", "https://news.example/world/"), ("Council extends the programme", URL)], "World"),
        ([("الرئيسية", "https://news.example/"), ("سياسة", "https://news.example/s")], "سياسة"),
        ([("Home", "https://news.example/")], None),
        ([], None),
    ],
)
def test_section_from_crumbs(crumbs: list[tuple[str, str | None]], expected: str | None) -> None:
    assert section_from_crumbs(crumbs, "Council extends the programme", URL) == expected


# -- related headlines ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "<h2>Related</h2>",
        "<h3 class='title'><span>RELATED ARTICLES</span></h3>",
        "<div class='box-title'>You may also like</div>",
        "<h4>More from News Example</h4>",
        "<span>Read more:</span>",
        "<h2>Recommended for you</h2>",
        "<h3>More on this story</h3>",
        "<h3>ذات صلة</h3>",
        "<div>اقرأ أيضاً</div>",
        "<h2>مواضيع ذات صلة</h2>",
        "<h2>أخبار ذات صلة</h2>",
        "<span>المزيد</span>",
    ],
)
def test_related_list_under_any_heading(heading: str) -> None:
    block = (
        f"<section class='more'>{heading}<ul><li><a href='/2024/05/01/one/'>First story</a></li>"
        "<li><a href='/2024/05/02/two/'>Second story</a></li></ul></section>"
    )
    item = extract(article() + block)
    assert related_of(item) == [
        ("First story", "https://news.example/2024/05/01/one/"),
        ("Second story", "https://news.example/2024/05/02/two/"),
    ]
    assert [headline.position for headline in item.related] == [1, 2]
    assert item.extraction["related"] == "generic"


@pytest.mark.parametrize(
    "text", ["Related Topics", "Newsletter", "Most read", "Read more about our policy", ""]
)
def test_other_headings_do_not_head_a_related_list(text: str) -> None:
    assert heading_strength(text) is None


def test_cards_with_thumbnails_are_one_entry_each() -> None:
    cards = (
        "<div class='related'><h3 class='block-title'>Related</h3><div class='grid'>"
        "<div class='card'><a href='/2024/05/01/one/'><img src='/a.jpg' alt='A photo'></a>"
        "<a href='/category/local/'>Local</a><h4><a href='/2024/05/01/one/'>Headline one</a></h4>"
        "<a href='/2024/05/01/one/#comments'>3 comments</a></div>"
        "<div class='card'><a href='/2024/05/02/two/' title='Headline two'><img src='/b.jpg' alt=''></a>"
        "<a href='/2024/05/02/two/'>Read more</a></div>"
        "<div class='card'><a href='/2024/05/03/three/'><img src='/c.jpg' alt='A harbour'></a>"
        "<h4 class='card-title'>Headline three</h4></div>"
        "<div class='card'><a href='/2024/05/04/four/'><img src='/d.jpg' alt='Headline four'></a></div>"
        "<div class='card'><a href='https://ads.example/click?id=1'>Sponsored story</a></div>"
        f"<div class='card'><a href='{URL}'>This very page</a></div>"
        "</div><h3 class='block-title'>Most read</h3><ul><li><a href='/2024/01/01/old/'>Old story</a></li></ul></div>"
    )
    assert related_of(extract(article() + cards)) == [
        ("Headline one", "https://news.example/2024/05/01/one/"),
        ("Headline two", "https://news.example/2024/05/02/two/"),
        ("Headline three", "https://news.example/2024/05/03/three/"),
        ("Headline four", "https://news.example/2024/05/04/four/"),
    ]


def test_an_inline_read_also_box_between_paragraphs_is_not_the_related_list() -> None:
    box = (
        "<div class='inline'><h4>Read also</h4><ul><li><a href='/2024/04/01/a/'>Earlier story</a></li>"
        "<li><a href='/2024/04/02/b/'>Another earlier story</a></li></ul></div>"
    )
    body = (
        f"{MASTHEAD}<main><article><h1>Council extends the programme</h1><div class='content'>"
        f"<p>{SENTENCES[0]}</p><p>{SENTENCES[1]}</p>{box}<p>{SENTENCES[2]}</p><p>{SENTENCES[3]}</p>"
        "</div></article></main>"
    )
    item = extract(body)
    assert item.related == []
    assert "Earlier story" not in item.body


def test_a_related_heading_in_the_menu_is_not_read() -> None:
    menu = (
        "<nav><span>Related</span><ul><li><a href='/2024/05/01/one/'>Menu story</a></li>"
        "<li><a href='/2024/05/02/two/'>Menu story two</a></li></ul></nav>"
    )
    assert extract(menu + article()).related == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/2024/05/01/one/", True),
        ("https://www.news.example/world/story-123", True),
        ("https://m.news.example/news/1", True),
        ("https://news.example/news", False),
        ("https://news.example/", False),
        ("https://news.example/category/world/", False),
        ("https://news.example/section/world", False),
        ("https://news.example/2024/05/", False),
        ("https://news.example/2024/05/14/the-story/?utm_source=x", False),
        ("https://news.example/uploads/photo.jpg", False),
        ("https://other.example/2024/05/01/one/", False),
    ],
)
def test_what_counts_as_another_article_of_the_site(url: str, expected: bool) -> None:
    assert is_article_link(url, URL) is expected


# -- dates ----------------------------------------------------------------------------------------------------


def test_a_lone_updated_time_in_the_article_header_is_the_publication() -> None:
    header = '<div class="meta"><time class="entry-date updated" datetime="2024-05-14T10:00:00+03:00">14 May</time></div>'
    item = extract(article(header=header))
    assert item.published_at == "2024-05-14T07:00:00Z"
    assert item.modified_at is None, "no separate publication time: 'updated' is the publication"
    assert item.extraction["published_at"] == "metadata"


def test_published_and_updated_times_side_by_side() -> None:
    header = (
        '<div class="meta"><time class="entry-date published" datetime="2024-05-14T08:00:00Z">14 May</time>'
        '<time class="updated" datetime="2024-05-15T09:30:00Z">15 May</time></div>'
    )
    item = extract(article(header=header))
    assert (item.published_at, item.modified_at) == ("2024-05-14T08:00:00Z", "2024-05-15T09:30:00Z")


def test_an_updated_label_marks_the_second_time() -> None:
    header = (
        '<div class="meta"><time datetime="2024-05-14T08:00:00Z">14 May</time> '
        '<span>Updated</span> <time datetime="2024-05-16T12:00:00Z">16 May</time></div>'
    )
    item = extract(article(header=header))
    assert (item.published_at, item.modified_at) == ("2024-05-14T08:00:00Z", "2024-05-16T12:00:00Z")


def test_the_article_header_element_is_not_the_masthead() -> None:
    body = (
        "<div class='top'><time datetime='2026-11-25'>Today</time></div>"
        "<div class='wrap'><header class='post-title'><h1>Council extends the programme</h1>"
        "<time class='entry-date' datetime='2024-05-14T06:00:00Z'>14 May</time></header>"
        f"<div class='content'>{BODY}</div></div>"
    )
    assert extract(body, url="https://news.example/local/council").published_at == "2024-05-14T06:00:00Z"


def test_json_ld_date_comes_before_the_header_time() -> None:
    head = json_ld({"@type": "NewsArticle", "headline": "x", "datePublished": "2024-05-13T05:00:00Z"})
    header = '<time class="entry-date" datetime="2024-05-14T06:00:00Z">14 May</time>'
    assert extract(article(header=header), head=head).published_at == "2024-05-13T05:00:00Z"


def test_an_update_time_paired_with_a_publication_time_after_the_body() -> None:
    posted_on = (
        '<footer class="entry-meta"><span class="posted-on"><time class="entry-date published" '
        'datetime="2024-05-14T08:00:00Z">14 May</time><time class="updated" datetime="2024-05-20T08:00:00Z">'
        "20 May</time></span></footer>"
    )
    item = extract(article(after_body=posted_on), url="https://news.example/local/council")
    assert item.modified_at == "2024-05-20T08:00:00Z"


# -- standfirst -----------------------------------------------------------------------------------------------

STANDFIRST = "The vote keeps the scheme running until 2027, with a smaller budget and new reporting rules."


def test_the_visible_standfirst_comes_before_the_meta_description() -> None:
    head = '<meta name="description" content="Council vote.">'
    item = extract(article(header=f'<p class="post-sub-title">{STANDFIRST}</p>'), head=head)
    assert item.subtitle == STANDFIRST
    assert item.extraction["subtitle"] == "generic"
    assert STANDFIRST not in item.body


@pytest.mark.parametrize(
    "marker", ['class="standfirst"', 'class="article__dek"', 'class="c-lead"', 'class="intro"']
)
def test_standfirst_class_words(marker: str) -> None:
    assert extract(article(header=f"<div {marker}>{STANDFIRST}</div>")).subtitle == STANDFIRST


def test_a_lead_paragraph_of_the_body_is_not_a_standfirst() -> None:
    body = (
        f"{MASTHEAD}<main><article><h1>Council extends the programme</h1><div class='content'>"
        f"<p class='lead'>{STANDFIRST}</p>{BODY}</div></article></main>"
    )
    item = extract(body)
    assert item.subtitle is None
    assert item.body.startswith(STANDFIRST), "the first paragraph stays in the body, once"


# -- authors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe and Omar Farouk - 28 December 2022", ["Jane Doe", "Omar Farouk"]),
        ("By: Fatima Al-Mahmood | Published 28 December 2022", ["Fatima Al-Mahmood"]),
        ("بقلم: سارة العتيبي | ٢٠ أكتوبر ٢٠٢٥", ["سارة العتيبي"]),
        ("كتب: أحمد سالم", ["أحمد سالم"]),
        ("Written by Lina Haddad, Beirut", ["Lina Haddad", "Beirut"]),
        ("Published 28 December 2022", []),
        ("28/12/2022 10:30", []),
        # an editor, a photographer or an illustrator named after the author is not an author
        ("Written by Rob Kendall Edited by Mia Sorensen", ["Rob Kendall"]),
        ("By Ana Ruiz. Photographs by Tom Ng", ["Ana Ruiz"]),
        # the date runs on after the name: a weekday, or "on <date>"
        ("Joe Wee Monday, February 29, 2016 @ 11:10 PM UTC", ["Joe Wee"]),
        ("Posted by Kim Lund, Jo Berg, Albert on 2019-02-15, all posts", ["Kim Lund", "Jo Berg", "Albert"]),
        ("كتب: أحمد سالم الخميس ٢٠ أكتوبر ٢٠٢٥", ["أحمد سالم"]),
        # degrees and credentials after a name are not names
        ("By Brenda Holt, MA", ["Brenda Holt"]),
        ("By Sam Ortiz, MD, PhD and Lee Chan, RN", ["Sam Ortiz", "Lee Chan"]),
        # other languages' "by" and "and" (lower case only: "John E Smith" keeps its initial)
        ("Par Sébastien Morel et Claire Dumas", ["Sébastien Morel", "Claire Dumas"]),
        ("Von Jonas Keller und Lea Brandt", ["Jonas Keller", "Lea Brandt"]),
        ("Por María Gómez y Pedro Sanz", ["María Gómez", "Pedro Sanz"]),
        ("Door Sanne de Vries en Bram Bakker", ["Sanne de Vries", "Bram Bakker"]),
        ("By John E Smith", ["John E Smith"]),
        ("Martin Roux (avec Damien Leroy et Morgane Petit)", ["Martin Roux", "Damien Leroy", "Morgane Petit"]),
    ],
)
def test_names_from_byline(byline: str, names: list[str]) -> None:
    assert names_from_byline(byline) == names


def test_staff_noise_only_beside_real_names() -> None:
    assert drop_noise(["Omar Khalil", "Staff Writer"]) == ["Omar Khalil"]
    assert drop_noise(["News Example", "Jane Doe"], site_name="News Example") == ["Jane Doe"]
    assert drop_noise(["Staff"]) == ["Staff"], "alone, the desk is all the page gives"
    assert drop_noise(["المحرر", "سارة العتيبي"]) == ["سارة العتيبي"]


def test_byline_names_without_role_and_date() -> None:
    header = (
        '<div class="byline"><span class="byline__name">By Nadia Karim</span><span class="byline__role">'
        'Middle East correspondent, Basra</span><time datetime="2024-05-14">14 May 2024</time></div>'
    )
    item = extract(article(header=header))
    assert item.authors == ["Nadia Karim"]
    assert item.extraction["authors"] == "generic"


def test_rel_author_links_of_the_article_header() -> None:
    header = (
        '<div class="meta">By <a rel="author" href="/author/jane/">Jane Doe</a> and '
        '<a rel="author" href="/author/omar/">Omar Farouk</a></div>'
    )
    item = extract(article(header=header))
    assert item.authors == ["Jane Doe", "Omar Farouk"]
    assert item.extraction["authors"] == "metadata"


def test_json_ld_people_before_organisations() -> None:
    authors = [
        {"@type": "Organization", "name": "News Example"},
        {"@type": "Person", "name": "Jane Doe"},
        "Omar Farouk",
    ]
    item = extract(article(), head=json_ld({"@type": "NewsArticle", "headline": "x", "author": authors}))
    assert item.authors == ["Jane Doe", "Omar Farouk"]


def test_an_organisation_author_gives_way_to_the_visible_byline() -> None:
    head = '<meta property="og:site_name" content="News Example">' + json_ld(
        {
            "@type": "NewsArticle",
            "headline": "x",
            "author": {"@type": "NewsMediaOrganization", "name": "News Example"},
        }
    )
    assert extract(article(header='<p class="byline">By Jane Doe</p>'), head=head).authors == ["Jane Doe"]
    assert extract(article(), head=head).authors == ["News Example"], (
        "without a byline the organisation stays"
    )


# -- regions and lead image -----------------------------------------------------------------------------------


def test_a_logo_h1_is_not_the_headline() -> None:
    html = (
        '<html><body><header><div id="logo"><a href="/"><h1 class="h1-off">News Example</h1></a></div></header>'
        f"<div class='post'><h1 class='post-title'>Council extends the programme</h1>{BODY}</div></body></html>"
    )
    regions = ArticleRegions(HtmlResponse(URL, body=html.encode(), encoding="utf-8").selector.root)
    assert regions.headline is not None and regions.headline.get("class") == "post-title"
    assert regions.first_paragraph is not None and regions.first_paragraph.text == SENTENCES[0]


def test_lead_image_between_headline_and_body_not_the_avatar() -> None:
    header = (
        '<div class="meta"><img class="avatar" src="/avatar.jpg" width="40" height="40"> By Jane Doe</div>'
        '<figure><img src="/uploads/council-800.jpg" width="800" height="450" alt="The council"></figure>'
    )
    item = extract(article(header=header))
    assert item.image_url == "https://news.example/uploads/council-800.jpg"
    assert item.extraction["image_url"] == "generic"


def test_component_names_count_like_classes() -> None:
    header = (
        f'<div data-gu-name="standfirst"><p>{STANDFIRST}</p></div>'
        '<div data-testid="AuthorByline">By Maha Salem and Tom Hart</div>'
    )
    item = extract(article(header=header))
    assert item.subtitle == STANDFIRST
    assert item.authors == ["Maha Salem", "Tom Hart"]


def test_block_theme_category_links_marked_rel_tag_are_the_section_not_tags() -> None:
    header = (
        '<div class="taxonomy-category wp-block-post-terms"><a href="/category/gulf/" rel="tag">Gulf</a></div>'
        '<div class="wp-block-post-date"><time datetime="2024-05-14T08:00:00Z">14 May 2024</time></div>'
    )
    terms = '<div class="taxonomy-post_tag wp-block-post-terms"><a href="/tag/oil/" rel="tag">Oil</a></div>'
    item = extract(article(header=header, after_body=terms))
    assert (item.section, item.tags) == ("Gulf", ["Oil"])
    assert item.published_at == "2024-05-14T08:00:00Z"
