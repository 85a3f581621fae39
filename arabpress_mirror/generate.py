"""Generate a deterministic mirror of N articles in the Arab Press template, for benchmarks and scale tests.

:func:`generate_mirror` writes the same kind of site as the demo mirror (same renderer, same URL layout):
articles in English and about 10% in Arabic, sections, tags, authors, related lists of 8-15 articles, dates
spread over 2012-2025, and the traps scaled with N (about 1% each of AMP twins, republished copies and
copies with one word edited, 0.5% of articles with a broken related link, tracking parameters on some
links), plus home, sections, tags and authors with pagination, the feed and the sitemaps (split past 1,000
URLs). All text is placeholder text put together from word lists; the mirror's about page says so.

``articles`` counts posts (originals and copies); AMP twins are extra pages. The same ``seed`` always gives
the same files, byte for byte.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from arabpress_mirror.content import (
    ARABIC_SECTION,
    AUTHOR_SLUGS,
    KIND_EDITED_COPY,
    KIND_REPUBLISHED,
    ORIGIN,
    RELATED_MAX,
    RELATED_MIN,
    SECTIONS,
    MirrorArticle,
    amp_copy,
    article_path,
    assign_traps,
    format_iso,
    image_url_for,
    set_related,
    slugify,
)
from arabpress_mirror.writer import RenderStats, render_site

logger = logging.getLogger(__name__)

MAX_ARTICLES = 100_000
FIRST_GENERATED_ID = 100_001
ARABIC_SHARE = 0.10
COPY_SHARE = 0.01  # each of: AMP twins, republished copies, edited copies
BROKEN_LINK_SHARE = 0.005
START = datetime(2012, 1, 1, tzinfo=UTC)
END = datetime(2025, 11, 7, 23, 59, tzinfo=UTC)
IMAGE_POOL = 32
ENGLISH_SECTIONS = [slug for slug in SECTIONS if slug != ARABIC_SECTION]

# --- word lists (placeholder text) ---------------------------------------------------------------------

EN_SUBJECTS = (
    "The ministry", "City officials", "A regional bank", "The central bank", "Local farmers", "The port authority",
    "A group of engineers", "The national airline", "Health workers", "The football federation", "Shop owners",
    "The transport agency", "A university team", "The energy company", "Tour operators", "The water utility",
    "Investors", "The museum", "Fishermen", "The weather service", "School teachers", "A housing developer",
    "The stock exchange", "Volunteers", "The chamber of commerce", "A start-up", "The customs office",
    "Researchers", "The organising committee", "Residents",
)  # fmt: skip
EN_VERBS = (
    "announced", "reviewed", "postponed", "approved", "expanded", "opened", "tested", "criticised", "welcomed",
    "completed", "planned", "delayed", "funded", "launched", "studied", "questioned", "defended", "presented",
    "renewed", "inspected", "measured", "promoted", "cancelled", "designed",
)  # fmt: skip
EN_OBJECTS = (
    "a new rail link", "the annual budget", "a desalination plant", "a trade agreement", "the summer festival",
    "a vaccination campaign", "the harbour extension", "a solar farm", "new visa rules", "the city marathon",
    "a heritage survey", "a training programme", "the flood defences", "a fleet of electric buses",
    "the airport terminal", "a cultural centre", "a date-palm census", "the fishing season", "a broadband network",
    "a housing scheme", "the book fair", "a wind-power tender", "the hospital wing", "a recycling plan",
    "a science olympiad", "the tax reform", "a water-saving campaign", "a youth league", "the metro timetable",
    "an archaeological dig",
)  # fmt: skip
EN_PLACES = (
    "Riyadh", "Jeddah", "Dubai", "Abu Dhabi", "Doha", "Kuwait City", "Manama", "Muscat", "Amman", "Beirut",
    "Cairo", "Alexandria", "Baghdad", "Basra", "Damascus", "Aleppo", "Tunis", "Algiers", "Rabat", "Casablanca",
    "Khartoum", "Sanaa", "Aden", "Tripoli", "Mecca", "Medina", "Dammam", "Sharjah", "Erbil", "Nouakchott",
)  # fmt: skip
EN_TIMES = (
    "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "at the weekend", "this week",
    "last month", "after months of talks", "ahead of the holiday", "before the summer", "for the coming year",
)  # fmt: skip
EN_CLAUSES = (
    "according to a statement", "officials said", "a spokesperson said", "local media reported",
    "the organisers said", "people familiar with the plans said", "figures released later showed",
    "in a short ceremony", "despite earlier objections", "with support from private partners",
)  # fmt: skip
EN_TAGS = (
    "Economy", "Energy", "Transport", "Health", "Education", "Tourism", "Football", "Culture", "Heritage",
    "Housing", "Water", "Climate", "Technology", "Agriculture", "Aviation", "Trade", "Investment", "Tennis",
    "Archaeology", "Start-ups", "Diplomacy", "Elections", "Ports", "Weather", "Books", "Music", "Film",
    "Science", "Space", "Banking",
)  # fmt: skip
EN_AUTHORS = (
    "Layla Haddad", "Omar Farouk", "Sara Mansour", "James Whitfield", "Nadia Karam", "Youssef Amin",
    "Hana Saleh", "Karim Nasser", "Maya Daher", "Tariq Aziz Rahman", "Lina Chammas", "Adam Fletcher",
    "Rania Khoury", "Samir Haddad", "Dalia Mostafa", "Arab Press Staff",
)  # fmt: skip

AR_SUBJECTS = (
    "الوِزارة", "بلدية المدينة", "هيئة النقل", "المزارعون", "الجامعة", "شركة الكهرباء", "هيئة السياحة",
    "اتحاد الكرة", "غرفة التجارة", "المتطوعون", "المتحف الوطني", "مركز الأرصاد", "سكان الحي", "الباحثون",
)  # fmt: skip
AR_VERBS = (
    "أعلنت", "افتتحت", "أجّلت", "ناقشت", "أطلقت", "راجعت", "دعمت", "درست", "قدّمت", "وسّعت", "أكملت", "استقبلت",
)  # fmt: skip
AR_OBJECTS = (
    "مشروعاً جديداً للنقل", "مهرجان الصيف", "حملة للتوعية", "خطة لترشيد المياه", "معرضاً للكتاب",
    "برنامجاً للتدريب", "محطة للطاقة الشمسية", "سوقاً شعبية", "مكتبة عامة", "بطولة للشباب", "مبنى المستشفى",
    "موسم الحصاد", "شبكة للإنترنت", "مسابقة للعلوم", "خطة للإسكان",
)  # fmt: skip
AR_PLACES = (
    "الرياض", "جدة", "دبي", "أبوظبي", "الدوحة", "الكويت", "المنامة", "مسقط", "عمّان", "بيروت", "القاهرة",
    "الإسكندرية", "بغداد", "دمشق", "تونس", "الجزائر", "الرباط", "الخرطوم",
)  # fmt: skip
AR_TIMES = ("يوم الاثنين", "يوم الخميس", "هذا الأسبوع", "الشهر الماضي", "قبل العطلة", "خلال العام المقبل")
AR_CLAUSES = (
    "وفق بيان رسمي",
    "بحسب المنظمين",
    "كما أفادت وسائل إعلام محلية",
    "بمشاركة واسعة",
    "بعد نقاش طويل",
)
AR_TAGS = ("اقتصاد", "ثقافة", "نقل", "صحة", "تعليم", "رياضة", "تراث", "طقس", "زراعة", "سياحة", "فنون", "كتب")
AR_AUTHORS = tuple(name for name, slug in AUTHOR_SLUGS.items() if not slugify(name))


@dataclass(frozen=True)
class Words:
    """The word lists of one language."""

    subjects: tuple[str, ...]
    verbs: tuple[str, ...]
    objects: tuple[str, ...]
    places: tuple[str, ...]
    times: tuple[str, ...]
    clauses: tuple[str, ...]
    tags: tuple[str, ...]
    authors: tuple[str, ...]


ENGLISH = Words(EN_SUBJECTS, EN_VERBS, EN_OBJECTS, EN_PLACES, EN_TIMES, EN_CLAUSES, EN_TAGS, EN_AUTHORS)
ARABIC = Words(AR_SUBJECTS, AR_VERBS, AR_OBJECTS, AR_PLACES, AR_TIMES, AR_CLAUSES, AR_TAGS, AR_AUTHORS)


def _sentence(rng: random.Random, words: Words, language: str) -> str:
    subject, verb, obj = rng.choice(words.subjects), rng.choice(words.verbs), rng.choice(words.objects)
    place, when, clause = rng.choice(words.places), rng.choice(words.times), rng.choice(words.clauses)
    number = rng.randint(2, 9_999)
    if language == "ar":
        return f"{verb} {subject} في {place} {obj} {when}، {clause}، بتكلفة تقارب {number} ألف."
    return f"{subject} in {place} {verb} {obj} {when}, {clause}; the figure quoted was {number:,}."


def _paragraphs(rng: random.Random, words: Words, language: str) -> list[str]:
    return [
        " ".join(_sentence(rng, words, language) for _ in range(rng.randint(2, 4)))
        for _ in range(rng.randint(3, 6))
    ]


def _title(rng: random.Random, words: Words, language: str) -> str:
    subject, verb, obj, place = (rng.choice(words.subjects), rng.choice(words.verbs), rng.choice(words.objects),
                                 rng.choice(words.places))  # fmt: skip
    if language == "ar":
        return f"{place}: {subject} {verb} {obj}"
    return f"{place}: {subject} {verb.capitalize()} {obj[0].upper()}{obj[1:]}"


def _publication_times(rng: random.Random, count: int) -> list[str]:
    span = int((END - START).total_seconds())
    offsets = sorted(rng.randrange(span) // 60 * 60 for _ in range(count))
    return [format_iso(START + timedelta(seconds=offset)) for offset in offsets]


def _unique_path(published_at: str, slug: str, used: set[str]) -> str:
    path, number = article_path(published_at, slug), 2
    while path in used:
        path, number = article_path(published_at, f"{slug}-{number}"), number + 1
    used.add(path)
    return path


def _original(rng: random.Random, index: int, published_at: str, used: set[str]) -> MirrorArticle:
    language = "ar" if rng.random() < ARABIC_SHARE else "en"
    words = ARABIC if language == "ar" else ENGLISH
    section_slug = ARABIC_SECTION if language == "ar" else rng.choice(ENGLISH_SECTIONS)
    title = _title(rng, words, language)
    post_id = FIRST_GENERATED_ID + index
    slug = slugify(title) if language == "en" else f"ar-{post_id}"
    published = datetime.strptime(published_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    edited_later = rng.random() < 0.05
    modified = published + (
        timedelta(days=rng.randint(1, 400)) if edited_later else timedelta(minutes=rng.randint(0, 4320))
    )
    return MirrorArticle(
        path=_unique_path(published_at, slug, used),
        title=title,
        subtitle=_sentence(rng, words, language),
        paragraphs=_paragraphs(rng, words, language),
        authors=rng.sample(words.authors, 2 if rng.random() < 0.15 else 1),
        published_at=published_at,
        modified_at=format_iso(min(modified, END)),
        section=SECTIONS[section_slug],
        section_slug=section_slug,
        tags=rng.sample(words.tags, rng.randint(1, 4)),
        image_url=image_url_for("2020-01-01", f"stock-{rng.randrange(IMAGE_POOL):02d}"),
        language=language,
        post_id=post_id,
        image_caption="صورة: أرشيف عرب برس" if language == "ar" else "Photo: Arab Press archive",
    )


def _copy(
    rng: random.Random, original: MirrorArticle, kind: str, post_id: int, used: set[str]
) -> MirrorArticle:
    published = datetime.strptime(original.published_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    when = format_iso(min(published + timedelta(days=rng.randint(1, 30)), END))
    slug = original.path.rstrip("/").rsplit("/", 1)[-1]
    paragraphs = list(original.paragraphs)
    if kind == KIND_EDITED_COPY:
        words = paragraphs[0].split(" ")
        position = rng.randrange(len(words))
        words[position] = "تقريباً" if original.language == "ar" else "reportedly"
        paragraphs[0] = " ".join(words)
    return replace(
        original,
        path=_unique_path(when, f"{slug}-copy", used),
        published_at=when,
        modified_at=when,
        paragraphs=paragraphs,
        kind=kind,
        original_path=original.path,
        post_id=post_id,
    )


def _assign_related(rng: random.Random, articles: list[MirrorArticle]) -> None:
    by_section: dict[str, list[MirrorArticle]] = defaultdict(list)
    for article in articles:
        if article.kind == "article":
            by_section[article.section_slug].append(article)
    broken_every = max(1, round(1 / BROKEN_LINK_SHARE))
    for salt, article in enumerate(articles):
        pool = by_section[article.section_slug]
        picks = rng.sample(pool, min(len(pool), rng.randint(RELATED_MIN, RELATED_MAX) + 1))
        related = [(other.title, other.url) for other in picks if other.path != article.path][:RELATED_MAX]
        if salt % broken_every == broken_every // 2:
            related.insert(
                1, ("A story that is no longer online", f"{ORIGIN}/2011/01/01/removed-story-{salt}/")
            )
        set_related(article, related, salt)


def generated_articles(count: int, seed: int = 0) -> list[MirrorArticle]:
    """The articles of a generated mirror: ``count`` posts (originals and copies) plus AMP twins."""
    if not 1 <= count <= MAX_ARTICLES:
        raise ValueError(f"the number of articles must be between 1 and {MAX_ARTICLES:,}, not {count}")
    rng = random.Random(seed)
    copies = int(count * COPY_SHARE) if count >= 100 else 0
    originals_count = count - 2 * copies
    used: set[str] = set()
    times = _publication_times(rng, originals_count)
    articles = [_original(rng, index, when, used) for index, when in enumerate(times)]
    next_id = FIRST_GENERATED_ID + originals_count
    sources = rng.sample(articles, 2 * copies) if copies else []
    for offset, original in enumerate(sources):
        kind = KIND_REPUBLISHED if offset < copies else KIND_EDITED_COPY
        articles.append(_copy(rng, original, kind, next_id + offset, used))
    _assign_related(rng, articles)
    assign_traps(articles)
    originals = [article for article in articles if article.kind == "article"]
    articles += [amp_copy(article) for article in rng.sample(originals, min(copies, len(originals)))]
    return articles


def about_paragraphs(count: int, seed: int) -> list[str]:
    return [
        f"This mirror of Arab Press was generated by arabpress-crawler ({count:,} articles, seed {seed}) for "
        "benchmarks and scale tests. It uses the site's WordPress news theme, URL layout, feeds and sitemaps.",
        "All text on it is placeholder text put together from word lists by the generator: none of it comes "
        "from Arab Press.",
    ]


def generate_mirror(
    out_dir: Path | str, articles: int, seed: int = 0, *, replace_existing: bool = True
) -> RenderStats:
    """Write a generated mirror of ``articles`` posts into ``out_dir``.

    With ``replace_existing`` (the default) ``out_dir`` is emptied first; otherwise files are written over
    whatever is there.
    """
    items = generated_articles(articles, seed)
    logger.info("generated %d article pages (seed %d); rendering into %s", len(items), seed, out_dir)
    return render_site(
        items, Path(out_dir), clean=replace_existing, about_paragraphs=about_paragraphs(articles, seed)
    )
