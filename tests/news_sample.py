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


def news_articles() -> list[ArticleItem]:
    """Sixty articles, one per hour from 2025-11-20, alternating languages."""
    items = []
    for index in range(30):
        subject, event = index % len(EN_SUBJECTS), index % len(EN_EVENTS)
        day, hour = 20 + index // 12, index % 12 * 2
        items.append(ArticleItem(
            url=f"{ORIGIN}/2025/11/{day}/news-{index}/",
            title=f"{EN_SUBJECTS[subject]} {EN_EVENTS[event]}",
            body=f"{EN_SUBJECTS[subject]} said on Monday it {EN_EVENTS[event].lower()}.\n\nOfficials welcomed the news.",
            authors=["Arab Press", "Reuters"] if index % 2 else ["Lina Haddad"],
            tags=[EN_SUBJECTS[subject].split()[0], "Gulf"],
            section=EN_SECTIONS[index % len(EN_SECTIONS)],
            language="en",
            published_at=f"2025-11-{day}T{hour:02d}:00:00Z",
            fetched_at="2025-11-24T08:00:00Z",
        ))
        items.append(ArticleItem(
            url=f"{ORIGIN}/2025/11/{day}/akhbar-{index}/",
            title=f"{AR_SUBJECTS[subject]} {AR_EVENTS[event]}",
            body=f"قال {AR_SUBJECTS[subject]} يوم الاثنين إنه {AR_EVENTS[event]}.\n\nورحب المسؤولون بالخبر.",
            authors=["عربي برس", "رويترز"] if index % 2 else ["لينا حداد"],
            tags=[AR_SUBJECTS[subject].split()[0], "الخليج"],
            section=AR_SECTIONS[index % len(AR_SECTIONS)],
            language="ar",
            published_at=f"2025-11-{day}T{hour + 1:02d}:00:00Z",
            fetched_at="2025-11-24T08:00:00Z",
        ))
    return items
