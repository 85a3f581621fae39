"""A screenful of news for the browser test: 30 English and 30 Arabic articles, written for this project.

Headlines are built from a few subjects and events (so they read like news and have realistic lengths),
with authors and tags in both languages; the sample database of :mod:`test_export_sample` is added to them.
"""

from __future__ import annotations

from arabpress_crawler.items import ArticleItem

ORIGIN = "https://arab.press"
EN_SUBJECTS = (
    "Saudi Central Bank", "Jordan's Parliament", "Cairo Metro Authority", "Gulf Airlines",
    "UAE Space Agency", "Lebanese Football Federation", "Riyadh Season Organisers", "Oman's Tourism Ministry",
    "Qatar Foundation", "Moroccan Farmers",
)
EN_EVENTS = (
    "Announces New Plan to Expand Services Across the Region",
    "Reports Record Growth in the Third Quarter",
    "Opens Talks With International Partners on Trade",
)
AR_SUBJECTS = (
    "البنك المركزي السعودي", "البرلمان الأردني", "هيئة مترو القاهرة", "شركات الطيران الخليجية",
    "وكالة الإمارات للفضاء", "الاتحاد اللبناني لكرة القدم", "منظمو موسم الرياض", "وزارة السياحة العمانية",
    "مؤسسة قطر", "المزارعون في المغرب",
)
AR_EVENTS = (
    "يعلن خطة جديدة لتوسيع الخدمات في أنحاء المنطقة",
    "يسجل نمواً قياسياً في الربع الثالث من العام",
    "يبدأ محادثات مع شركاء دوليين حول التجارة",
)
EN_SECTIONS = ("Economy", "Politics", "Sports")
AR_SECTIONS = ("اقتصاد", "سياسة", "رياضة")


#: Per language: subjects, events, sections, the byline of odd and even items, and how a body is written.
LANGUAGES = {
    "en": (EN_SUBJECTS, EN_EVENTS, EN_SECTIONS, (["Lina Haddad"], ["Arab Press", "Reuters"]), "Gulf", "news",
           lambda subject, event: f"{subject} said on Monday it {event.lower()}.\n\nOfficials welcomed the news."),
    "ar": (AR_SUBJECTS, AR_EVENTS, AR_SECTIONS, (["لينا حداد"], ["عربي برس", "رويترز"]), "الخليج", "akhbar",
           lambda subject, event: f"قال {subject} يوم الاثنين إنه {event}.\n\nورحب المسؤولون بالخبر."),
}


def news_articles() -> list[ArticleItem]:
    """Sixty articles, one per hour from 2025-11-20, alternating languages."""
    items = []
    for index in range(30):
        day, hour = 20 + index // 12, index % 12 * 2
        for offset, (language, spec) in enumerate(LANGUAGES.items()):
            subjects, events, sections, bylines, region, slug, body = spec
            subject, event = subjects[index % len(subjects)], events[index % len(events)]
            items.append(ArticleItem(
                url=f"{ORIGIN}/2025/11/{day}/{slug}-{index}/",
                title=f"{subject} {event}",
                body=body(subject, event),
                authors=bylines[index % 2],
                tags=[subject.split()[0], region],
                section=sections[index % len(sections)],
                language=language,
                published_at=f"2025-11-{day}T{hour + offset:02d}:00:00Z",
                fetched_at="2025-11-24T08:00:00Z",
            ))
    return items
