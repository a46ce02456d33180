"""The sitemap source kind: sitemap indexes and urlsets (Google News extensions, gzipped or
plain text); each listed page is an article to fetch."""

from sources.common import SourceKind

KIND = SourceKind(
    name="sitemap",
    spider="sources.sitemap.spider:SitemapSpider",
    read="sources.sitemap.spider:read_sitemap_answer",
    noun="locations",
)
