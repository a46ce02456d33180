"""Renders data/sample/content/*.json into the static sample web and its gold file.

Each outlet has its own page style and listing format, the way real sites differ: the
parser and the spiders are tested against the variety, and the gold file says what a
careful reader takes from each page. Run `python -m sample_web.render` after
editing content; a test fails when web/ or gold.jsonl is stale.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

from core.config import SAMPLE_WEB

BASE = "__BASE_URL__"
OUTLETS = {
    "packetledger": "The Packet Ledger",
    "breachdesk": "Breach Desk",
    "northwind": "Northwind Security Review",
    "metrotribune": "Metro Tribune",
    "govwire": "Agency Newsroom",
}
ROBOTS_TXT = """User-agent: *
Disallow: /metrotribune/private/
Disallow: /govwire/drafts/
"""
MISSING_PAGE = "/metrotribune/2024/01/story-withdrawn-by-editors.html"
PRIVATE_PAGE = "/metrotribune/private/embargoed-briefing.html"
TRACKING = "?utm_source=rss&utm_medium=feed&utm_campaign=security"


@dataclass
class Article:
    slug: str
    outlet: str
    kind: str
    title: str
    published: datetime
    authors: list[str]
    paragraphs: list[str]
    gold: dict
    hazards: list[str] = field(default_factory=list)

    @classmethod
    def from_file(cls, path: Path) -> Article:
        data = json.loads(path.read_text(encoding="utf-8"))
        published = datetime.fromisoformat(data["published"].replace("Z", "+00:00"))
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        return cls(
            slug=data["slug"],
            outlet=data["outlet"],
            kind=data["kind"],
            title=data["title"],
            published=published.astimezone(UTC),
            authors=data.get("authors", []),
            paragraphs=data["paragraphs"],
            gold=data["gold"],
            hazards=data.get("hazards", []),
        )

    @property
    def path(self) -> str:
        return f"/{self.outlet}/{self.published:%Y/%m}/{self.slug}.html"

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def with_base_url(page: bytes, base_url: str) -> bytes:
    """A rendered file as the server sends it: the placeholder replaced by the site's address."""
    return page.replace(BASE.encode(), base_url.encode())


def load_articles(content_dir: Path) -> list[Article]:
    articles = [Article.from_file(p) for p in sorted(content_dir.glob("*.json"))]
    return sorted(articles, key=lambda a: (a.published, a.slug))


# ---- page templates, one per outlet ------------------------------------------------------


def _paragraphs(article: Article, between: Callable[[int], str] = lambda i: "") -> str:
    parts = []
    for index, paragraph in enumerate(article.paragraphs):
        parts.append(f"<p>{escape(paragraph, quote=False)}</p>")
        parts.append(between(index))
    return "\n".join(p for p in parts if p)


def _related(article: Article, others: list[Article], n: int = 3) -> list[Article]:
    same_outlet = [a for a in others if a.outlet == article.outlet and a.slug != article.slug]
    return same_outlet[:n]


def _byline(article: Article) -> str:
    return " and ".join(article.authors)


def page_packetledger(article: Article, others: list[Article]) -> str:
    json_ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": article.published.isoformat(),
        "dateModified": article.published.isoformat(),
        "author": [{"@type": "Person", "name": name} for name in article.authors],
        "publisher": {"@type": "Organization", "name": OUTLETS["packetledger"]},
        "mainEntityOfPage": f"{BASE}{article.path}",
        "inLanguage": "en-US",
    }
    related = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in _related(article, others))
    json_ld_text = json.dumps(json_ld, ensure_ascii=False).replace("</", "<\\/")
    newsletter = (
        '<div class="newsletter-box"><h4>Get the Ledger in your inbox</h4>'
        "<p>Sign up for our daily briefing on breaches, ransomware and the people fighting them.</p>"
        '<form><input type="email" placeholder="you@example.com"><button>Subscribe</button></form></div>'
    )
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(article.title)} &#8211; The Packet Ledger</title>
<link rel="canonical" href="{article.path}">
<script type="application/ld+json">{json_ld_text}</script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
<style>body{{font-family:Georgia,serif}} .entry-content p{{line-height:1.6}}</style>
</head>
<body class="post-template-default single single-post">
<header class="site-header"><a class="logo" href="/packetledger/">The Packet Ledger</a>
<nav class="main-navigation"><ul><li><a href="/packetledger/news/">News</a></li><li><a href="/packetledger/ransomware/">Ransomware</a></li><li><a href="/packetledger/policy/">Policy</a></li><li><a href="/packetledger/podcast/">Podcast</a></li></ul></nav></header>
<div id="cookie-notice" class="cookie-consent" role="dialog"><p>We use cookies to personalise content and analyse our traffic. By clicking Accept you agree to our use of cookies.</p><button>Accept</button><button>Manage preferences</button></div>
<main id="primary">
<article class="post type-post">
<h1 class="entry-title">{escape(article.title)}</h1>
<div class="entry-meta"><span class="byline">By <a rel="author" href="/packetledger/author/">{escape(_byline(article))}</a></span>
<span class="posted-on"><time class="entry-date published" datetime="{article.published.isoformat()}">{article.published:%B %d, %Y}</time></span></div>
<div class="entry-content">
{_paragraphs(article, lambda i: newsletter if i == 2 else "")}
</div>
<div class="share-buttons"><a href="#">Share on X</a> <a href="#">Share on LinkedIn</a> <a href="#">Email</a></div>
</article>
<section class="related-posts"><h2>Related stories</h2><ul>{related}</ul></section>
<div id="comments" class="comments-area"><h3>2 thoughts on this story</h3>
<ol class="comment-list"><li class="comment"><p>Another week, another outage. When will boards take this seriously?</p></li>
<li class="comment"><p>Does anyone know whether customer data was affected as well?</p></li></ol></div>
</main>
<footer class="site-footer"><p>&copy; The Packet Ledger. All rights reserved. <a href="/packetledger/privacy/">Privacy</a></p></footer>
</body>
</html>
"""


def page_breachdesk(article: Article, others: list[Article]) -> str:
    most_read = "".join(f"<li>{escape(a.title)}</li>" for a in _related(article, others))
    authors = "".join(f'<meta name="author" content="{escape(name)}">' for name in article.authors)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>{escape(article.title)} | Breach Desk</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(article.title)}">
<meta property="og:url" content="{BASE}{article.path}">
<meta property="og:site_name" content="Breach Desk">
<meta property="article:published_time" content="{article.published.strftime("%Y-%m-%dT%H:%M:%SZ")}">
{authors}
<meta name="twitter:card" content="summary_large_image">
</head>
<body>
<div class="topbar"><a href="/breachdesk/subscribe">Subscribe</a> | <a href="/breachdesk/login">Log in</a></div>
<div class="layout">
<div class="story">
<p class="kicker">Incident response</p>
<h1 class="story-title">{escape(article.title)}</h1>
<p class="story-byline">{escape(_byline(article))} &middot; {article.published:%d %b %Y}</p>
<div class="story-body">
{_paragraphs(article, lambda i: '<div class="ad-slot">Advertisement</div>' if i == 1 else "")}
</div>
<div class="author-bio"><p>Our reporters cover breaches, extortion and the security industry. Tips: tips@breachdesk.invalid</p></div>
</div>
<div class="sidebar"><h3>Most read</h3><ol>{most_read}</ol></div>
</div>
<div class="paywall-prompt">You have read 2 of 5 free articles this month. Subscribe for unlimited access.</div>
</body>
</html>
"""


def page_northwind(article: Article, others: list[Article]) -> str:
    trending = "".join(
        f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in _related(article, others)
    )
    authors = "".join(
        f'<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">{escape(n)}</span></span>'
        for n in article.authors
    )
    return f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>Northwind Security Review: {escape(article.title)}</title>
</head>
<body>
<div id="masthead"><div class="brand">Northwind Security Review</div>
<ul id="menu"><li><a href="/northwind/">Home</a></li><li><a href="/northwind/threats">Threats</a></li><li><a href="/northwind/events">Events</a></li></ul></div>
<div id="breadcrumbs"><a href="/northwind/">Home</a> &raquo; <a href="/northwind/threats">Threats</a></div>
<div class="article-wrap" itemscope itemtype="https://schema.org/NewsArticle">
<h2 itemprop="headline" class="headline">{escape(article.title)}</h2>
<div class="meta">{authors} <meta itemprop="datePublished" content="{article.published.isoformat()}"><span class="date">{article.published:%A, %d %B %Y}</span></div>
<div itemprop="articleBody" class="article-body">
{_paragraphs(article)}
</div>
<div class="tags">Tags: <a href="#">security</a> <a href="#">incident</a></div>
</div>
<div class="trending"><h4>Trending now</h4><ul>{trending}</ul></div>
<div id="footer">Northwind Security Review &middot; Contact &middot; Advertise</div>
</body>
</html>
"""


def page_metrotribune(article: Article, others: list[Article]) -> str:
    body = _paragraphs(
        article,
        lambda i: (
            '<div class="promo">Subscribe to the Metro Tribune from just $1 a week.</div>' if i == 3 else ""
        ),
    )
    page = f"""<html>
<head>
<title>{escape(article.title)} - Metro Tribune</title>
</head>
<body>
<div class="gdpr-banner">This site uses cookies. Continue browsing to accept. <a href="#">More info</a></div>
<table class="layout" width="100%"><tr>
<td class="nav" width="180"><a href="/metrotribune/">Front page</a><br><a href="/metrotribune/local/">Local</a><br><a href="/metrotribune/business/">Business</a><br><a href="/metrotribune/technology/">Technology</a><br><a href="/metrotribune/sport/">Sport</a></td>
<td class="content">
<h1>{escape(article.title)}</h1>
<p class="dateline">By {escape(_byline(article))} | <time datetime="{article.published.isoformat()}">{article.published:%B %d, %Y %I:%M %p}</time></p>
{body}
<p class="more-stories">More stories: {" | ".join(escape(a.title) for a in _related(article, others, 2))}</p>
</td></tr></table>
<div class="footer">Metro Tribune &copy; All rights reserved</div>
</body>
</html>
"""
    if "malformed" in article.hazards:
        page = _malform(page)
    return page


def page_govwire(article: Article, others: list[Article]) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(article.title)} - Agency Newsroom</title>
<meta name="description" content="{escape(article.paragraphs[0][:150])}">
<meta name="dcterms.created" content="{article.published:%Y-%m-%d}">
<meta name="dcterms.title" content="{escape(article.title)}">
</head>
<body>
<a class="skip-link" href="#content">Skip to main content</a>
<header class="govuk-header"><span class="govuk-header__logotype">Agency Newsroom</span></header>
<div class="breadcrumbs"><a href="/govwire/">Home</a> / <a href="/govwire/news/">News</a></div>
<main id="content" role="main">
<span class="caption">Press release</span>
<h1>{escape(article.title)}</h1>
<p class="published">Published {article.published:%d %B %Y}</p>
<div class="body-text">
{_paragraphs(article)}
</div>
</main>
<div class="feedback">Is this page useful? <a href="#">Yes</a> <a href="#">No</a></div>
<footer><p>All content is available under an open licence, except where otherwise stated.</p></footer>
</body>
</html>
"""


TEMPLATES: dict[str, Callable[[Article, list[Article]], str]] = {
    "packetledger": page_packetledger,
    "breachdesk": page_breachdesk,
    "northwind": page_northwind,
    "metrotribune": page_metrotribune,
    "govwire": page_govwire,
}


def _malform(page: str) -> str:
    """Broken markup as found in the wild: unclosed tags, stray closers, bare ampersands."""
    page = page.replace("</p>\n<p>", "\n<p>", 2)
    page = page.replace('<td class="content">', '<td class="content"><div><span>', 1)
    page = page.replace("</td></tr></table>", "</span></div></div></td></tr>", 1)
    page = page.replace('<div class="footer">', '<div class="footer"><b>AT&T & partners <i>', 1)
    return page.replace("</body>\n</html>\n", "")


def render_page(article: Article, others: list[Article]) -> bytes:
    page = TEMPLATES[article.outlet](article, others)
    if "huge" in article.hazards:
        page = _hugify(page)
    if "cp1252" in article.hazards:
        return page.encode("cp1252", errors="xmlcharrefreplace")
    return page.encode("utf-8")


def _hugify(page: str) -> str:
    """About 6 MB: an inline script blob and an endless comment thread around the article."""
    blob = "<script>var state = " + json.dumps(["x" * 1000] * 3000) + ";</script>"
    thread = "".join(
        f'<li class="comment"><p>Comment {i}: I agree with the previous commenter about this.</p></li>'
        for i in range(20000)
    )
    page = page.replace("</head>", blob + "\n</head>", 1)
    return page.replace("</body>", f'<div class="comments"><ol>{thread}</ol></div>\n</body>', 1)


# ---- listings ----------------------------------------------------------------------------


def _rss(title: str, home: str, items: Iterable[tuple[str, str, datetime, str]]) -> str:
    entries = "\n".join(
        f"""  <item>
    <title>{escape(t)}</title>
    <link>{escape(link)}</link>
    <guid isPermaLink="false">{escape(guid)}</guid>
    <pubDate>{format_datetime(when)}</pubDate>
  </item>"""
        for t, link, when, guid in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>{escape(title)}</title>
  <link>{BASE}{home}</link>
  <description>Latest stories from {escape(title)}</description>
  <language>en</language>
{entries}
</channel>
</rss>
"""


def listing_packetledger(articles: list[Article]) -> dict[str, str]:
    items = [(a.title, f"{BASE}{a.path}", a.published, a.slug) for a in articles]
    # The same story again, with tracking parameters and a fragment, as feeds often carry it.
    if items:
        first = articles[0]
        items.append(
            (first.title, f"{BASE}{first.path}{TRACKING}#comments", first.published, first.slug + "-promo")
        )
    return {"packetledger/feed.xml": _rss(OUTLETS["packetledger"], "/packetledger/", reversed(items))}


def listing_breachdesk(articles: list[Article]) -> dict[str, str]:
    updated = max((a.published for a in articles), default=datetime.now(UTC))
    entries = "\n".join(
        f"""  <entry>
    <title>{escape(a.title)}</title>
    <link rel="alternate" type="text/html" href="{BASE}{a.path}"/>
    <id>tag:breachdesk.invalid,{a.published:%Y-%m-%d}:{a.slug}</id>
    <published>{a.published.isoformat()}</published>
    <updated>{a.published.isoformat()}</updated>
    <author><name>{escape(_byline(a))}</name></author>
  </entry>"""
        for a in reversed(articles)
    )
    feed = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Breach Desk</title>
  <link rel="self" href="{BASE}/breachdesk/atom.xml"/>
  <link rel="alternate" href="{BASE}/breachdesk/"/>
  <id>tag:breachdesk.invalid,2016:feed</id>
  <updated>{updated.isoformat()}</updated>
{entries}
</feed>
"""
    return {"breachdesk/atom.xml": feed}


def listing_northwind(articles: list[Article]) -> dict[str, str]:
    news = "\n".join(
        f"""  <url>
    <loc>{BASE}{a.path}</loc>
    <news:news>
      <news:publication><news:name>Northwind Security Review</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>{a.published.isoformat()}</news:publication_date>
      <news:title>{escape(a.title)}</news:title>
    </news:news>
  </url>"""
        for a in articles
    )
    index = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{BASE}/northwind/news-sitemap.xml.gz</loc><lastmod>{max(a.published for a in articles).isoformat() if articles else ""}</lastmod></sitemap>
  <sitemap><loc>{BASE}/northwind/pages-sitemap.xml</loc></sitemap>
</sitemapindex>
"""
    pages = (
        f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{BASE}{articles[0].path}</loc><lastmod>{articles[0].published:%Y-%m-%d}</lastmod></url>
</urlset>
"""
        if articles
        else ""
    )
    urlset = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{news}
</urlset>
"""
    return {
        "northwind/sitemap.xml": index,
        "northwind/news-sitemap.xml": urlset,
        "northwind/pages-sitemap.xml": pages,
    }


def listing_metrotribune(articles: list[Article]) -> dict[str, str]:
    items = [(a.title, f"{BASE}{a.path}", a.published, a.slug) for a in articles]
    newest = max((a.published for a in articles), default=datetime.now(UTC))
    items.append(("Story withdrawn", f"{BASE}{MISSING_PAGE}", newest, "withdrawn"))
    items.append(("Embargoed briefing", f"{BASE}{PRIVATE_PAGE}", newest, "embargoed"))
    return {"metrotribune/rss.xml": _rss(OUTLETS["metrotribune"], "/metrotribune/", reversed(items))}


def listing_govwire(articles: list[Article]) -> dict[str, str]:
    items = [(a.title, f"{BASE}{a.path}", a.published, a.slug) for a in articles]
    return {"govwire/feed.xml": _rss(OUTLETS["govwire"], "/govwire/", reversed(items))}


LISTINGS: dict[str, Callable[[list[Article]], dict[str, str]]] = {
    "packetledger": listing_packetledger,
    "breachdesk": listing_breachdesk,
    "northwind": listing_northwind,
    "metrotribune": listing_metrotribune,
    "govwire": listing_govwire,
}
LISTING_KIND = {
    "packetledger": ("feed", "packetledger/feed.xml"),
    "breachdesk": ("feed", "breachdesk/atom.xml"),
    "northwind": ("sitemap", "northwind/sitemap.xml"),
    "metrotribune": ("feed", "metrotribune/rss.xml"),
    "govwire": ("feed", "govwire/feed.xml"),
}


def sources_toml(base_url: str, outlets: Iterable[str] = OUTLETS) -> str:
    """A sources file pointing at a served copy of the sample web."""
    blocks = []
    for outlet in outlets:
        kind, path = LISTING_KIND[outlet]
        blocks.append(
            f'[[sources]]\nname = "{outlet}"\nkind = "{kind}"\nurl = "{base_url}/{path}"\n'
            f'publisher = "{OUTLETS[outlet]}"\ncountry = "GB"\nlanguage = "en"\n'
            # The server is on loopback, which crawls refuse unless a source allows it.
            "allow_private_addresses = true\n"
        )
    return "\n".join(blocks)


# ---- the whole site ----------------------------------------------------------------------


def render_site(articles: list[Article], web_dir: Path) -> None:
    if web_dir.exists():
        shutil.rmtree(web_dir)
    web_dir.mkdir(parents=True)
    (web_dir / "robots.txt").write_text(ROBOTS_TXT, encoding="utf-8")
    for article in articles:
        target = web_dir / article.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render_page(article, articles))
    for outlet, make in LISTINGS.items():
        for relative, text in make([a for a in articles if a.outlet == outlet]).items():
            if text:
                (web_dir / relative).write_text(text, encoding="utf-8")
    private = web_dir / PRIVATE_PAGE.lstrip("/")
    private.parent.mkdir(parents=True, exist_ok=True)
    private.write_text(
        "<html><body><h1>Embargoed</h1><p>Not for crawlers.</p></body></html>", encoding="utf-8"
    )


def gold_records(articles: list[Article]) -> list[dict]:
    return [
        {
            "path": a.path,
            "outlet": a.outlet,
            "slug": a.slug,
            "kind": a.kind,
            "title": a.title,
            "published": a.published.isoformat(),
            "authors": a.authors,
            "hazards": a.hazards,
            "text": a.text,
            **a.gold,
        }
        for a in articles
    ]


def write_gold(articles: list[Article], gold_path: Path) -> None:
    lines = [json.dumps(record, ensure_ascii=False, sort_keys=True) for record in gold_records(articles)]
    gold_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def render(sample_dir: Path = SAMPLE_WEB) -> list[Article]:
    articles = load_articles(sample_dir / "content")
    render_site(articles, sample_dir / "web")
    write_gold(articles, sample_dir / "gold.jsonl")
    return articles


def main() -> int:
    articles = render(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_WEB)
    print(f"rendered {len(articles)} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
