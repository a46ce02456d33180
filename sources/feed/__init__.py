"""The feed source kind: RSS 2.0 and Atom feeds of outlets and agencies; each entry's link is an
article page to fetch (parsed by the HTML article parser)."""

from sources.common import SourceKind

KIND = SourceKind(
    name="feed",
    spider="sources.feed.spider:FeedSpider",
    read="sources.feed.spider:read_feed",
    noun="entries",
)
