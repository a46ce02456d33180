"""The google-news source kind: Google News RSS search feeds; each item's link (decoded to the
outlet's URL) is an article page to fetch, stored under the outlet as publisher."""

from sources.common import SourceKind

KIND = SourceKind(
    name="google-news",
    spider="sources.google_news.spider:GoogleNewsSpider",
    read="sources.google_news.spider:read_google_news",
    noun="entries",
)
