"""The writer's cheaper text paths give exactly what the code they replaced gave (kept here as references).

Stored bodies, word counts, shingles and the search copies must not change by a character: each fast path
is compared with its reference over random text of the scripts and whitespace the site publishes.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from arabpress_crawler import search, text, urls
from arabpress_crawler.items import RelatedHeadline
from arabpress_crawler.pipelines import clean

#: Every kind of whitespace str.split and \s know (line and paragraph separators, no-break and wide spaces),
#: letters of both scripts, diacritics, markup characters and the paragraph tags clean_body turns into breaks.
WHITESPACE = list(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000")
ALPHABET = st.sampled_from(
    WHITESPACE * 3
    + list("abcXYZ019.,;!?-'\"«»،؛؟<>/&;")
    + list("ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإٱةى")
    + ["\u064b", "\u0650", "\u0651", "\u0640", "\u200b", "\u200f", "\ufeff", "é", "e\u0301", "ﬁ"]
    + ["</p>", "<br>", "<br/><br/>", "<b>", "&amp;", "&nbsp;", "Advertisement", "Read also: ", "إعلان"]
)
TEXTS = st.lists(ALPHABET, max_size=120).map("".join) | st.text(max_size=120)
_HORIZONTAL_SPACE_RE = re.compile(r"[^\S\n]+")
_WORD_RE = re.compile(r"\w+")


def reference_clean_body(value: str | None) -> str | None:
    """The previous clean_body: horizontal whitespace turned into spaces before the paragraphs are split."""
    if value is None:
        return None
    body = text.remove_invisible(str(value))
    if "<" in body:
        body = re.sub(r"(?i)</p\s*>|<br\s*/?>\s*<br\s*/?>", text.PARAGRAPH_SEPARATOR, body)
    body = unicodedata.normalize("NFC", text.strip_markup(body))
    paragraphs = [
        p
        for p in text.split_paragraphs(_HORIZONTAL_SPACE_RE.sub(" ", body))
        if not text.is_boilerplate_paragraph(p)
    ]
    return text.PARAGRAPH_SEPARATOR.join(paragraphs) or None


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_clean_body_equals_the_version_with_a_whitespace_pass(value: str) -> None:
    assert text.clean_body(value) == reference_clean_body(value)


def test_clean_body_keeps_paragraph_breaks_made_of_any_whitespace() -> None:
    value = "First\u00a0 line\t here.\n \u2003\n\u2028Second\u2029para  graph.\n\n\n  Third."
    assert text.clean_body(value) == reference_clean_body(value) == (
        "First line here.\n\nSecond para graph.\n\nThird."
    )


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_remembered_words_and_search_copy_equal_their_computation(value: str) -> None:
    expected_words = _WORD_RE.findall(text.normalize_for_search(value))
    for _ in range(2):  # computed, then remembered
        assert text.words(value) == expected_words
        assert search.search_words(value) == [search.stem(word) for word in expected_words]
        assert search.search_text(value) == " ".join(search.stem(word) for word in expected_words)


def test_words_returns_a_list_its_caller_may_change() -> None:
    first = text.words("one two three")
    first.append("four")
    assert text.words("one two three") == ["one", "two", "three"]


def test_related_titles_are_cleaned_once_and_the_same() -> None:
    base = "https://arab.press/2024/01/01/story/"
    related = [
        RelatedHeadline(title=f"  Talks\u200b <b>resume</b> &amp; {n % 2}\n", url=f"/2024/01/0{n + 2}/x/", position=n)
        for n in range(4)
    ]
    first = clean.clean_related(related, base)
    assert [entry.title for entry in first] == [text.clean_text(entry.title) for entry in related]
    assert clean.clean_related(related, base) == first


#: URLs near the plain canonical form: hosts with upper case, hyphens, ``amp.`` and long labels; ports
#: (default, leading zero, too large); dot, empty and variant segments; queries, fragments, file names.
PLAIN_URLS = st.builds(
    lambda scheme, host, port, segments, tail: f"{scheme}://{host}{port}/{''.join(s + '/' for s in segments)}{tail}",
    st.sampled_from(["http", "https", "HTTP", "ftp"]),
    st.sampled_from(
        ["arab.press", "127.0.0.1", "www.arab-press.com", "amp.arab.press", "amp.press", "Arab.Press",
         "a--b.press", "xn--mgbh0fb.example", "a" * 64 + ".press", "a" * 63 + ".press", "press.", "-a.press"]
    ),
    st.sampled_from(["", ":80", ":443", ":8791", ":080", ":65535", ":65536", ":99999"]),
    st.lists(
        st.sampled_from(["2024", "01", "ar-100990", "story_slug", "a~b", ".", "..", "...", ".hidden", "amp", "print",
                         "AMP", "x.html", "%41", "a b", "é"]),
        max_size=5,
    ),
    st.sampled_from(["", "amp/", "?utm_source=x", "#top", "index.html", "x"])
    | st.lists(
        st.sampled_from(["utm_source=related", "utm_medium=", "UTM_campaign=a.b~c", "fbclid=x-1", "utm_x",
                         "gclid=%41", "utm_a=b=c", "page=2", "utm_source=a b", "", "utm_term=a#b"]),
        min_size=1,
        max_size=3,
    ).map(lambda pairs: "?" + "&".join(pairs)),
)


#: Plain URLs with queries of tracking parameters, mostly plain ones (the mirror's related links).
TRACKED_URLS = st.builds(
    lambda scheme, host, path, pairs: f"{scheme}://{host}/{path}?{'&'.join(pairs)}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["arab.press", "127.0.0.1:8791", "www.arab-press.com", "amp.arab.press", "a.b:443"] + ["a.b"] * 5),
    st.sampled_from(["", "2024/01/30/ar-100990/", "x/amp/", "x/../y/", "x"] + ["a-b/c_d/"] * 5),
    st.lists(
        st.sampled_from(
            ["utm_source=related", "utm_medium=web", "utm_campaign=more-stories", "fbclid=", "gclid=a~b", "utm_x",
             "UTM_Source=x", "page=2", "amp=1", "utm_source=a%20b", "utm_term=a=b"]
            + ["utm_source=related"] * 10
        ),
        min_size=1,
        max_size=3,
    ),
)


@settings(max_examples=1000, deadline=None)
@given(PLAIN_URLS | TRACKED_URLS | st.from_regex(urls._PLAIN_URL_RE, fullmatch=True))
def test_plain_canonical_urls_are_what_the_rules_give(url: str) -> None:
    """A URL the fast path keeps as it is canonicalises to itself by the full rules; with a query of
    tracking parameters it canonicalises to itself without the query."""
    if urls._plain_canonical(url):
        assert urls._canonicalize_by_rules(url, None) == url
    plain = urls._plain_canonical_form(url)
    if plain is not None:
        assert urls._canonicalize_by_rules(url, None) == plain
    assert urls.canonicalize_url(url) == urls._canonicalize_by_rules(url, None)


def test_the_sites_article_and_headline_urls_take_the_fast_path() -> None:
    for url in ("http://127.0.0.1:8791/2019/01/30/ar-100990/", "https://arab.press/2024/05/01/talks-resume/"):
        assert urls._plain_canonical(url)
    for url in ("https://arab.press/2024/05/01/talks-resume/amp/", "https://arab.press:443/x/", "https://arab.press/x"):
        assert not urls._plain_canonical(url)
    tracked = "http://127.0.0.1:8791/2015/06/30/ar-100468/?utm_source=related&utm_medium=web&utm_campaign=more"
    assert urls._plain_canonical_form(tracked) == "http://127.0.0.1:8791/2015/06/30/ar-100468/"
    assert urls._plain_canonical_form("https://arab.press/x/?page=2&utm_source=a") is None
