"""The ransomlook source kind: RansomLook's list of recent extortion leak-site posts, stored only
as claims (the group as claimed attacker), never as incidents; nothing in them is followed."""

from sources.common import SourceKind

KIND = SourceKind(
    name="ransomlook",
    spider="sources.ransomlook.spider:RansomLookSpider",
    read="sources.ransomlook.spider:read_posts",
    noun="posts",
    parsers={"ransomlook-claim": "sources.ransomlook.parser:parse_post"},
    required=("group_name", "post_title", "discovered"),
)
