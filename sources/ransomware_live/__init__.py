"""The ransomware-live source kind: ransomware.live's v2 API (no key) — press-reported attacks
(a record each, and the press article it cites) and extortion leak-site claims (records kept
as claims, every leak-site link removed)."""

from sources.common import SourceKind

KIND = SourceKind(
    name="ransomware-live",
    spider="sources.ransomware_live.spider:RansomwareLiveSpider",
    read="sources.ransomware_live.spider:read_api",
    noun="records",
    parsers={
        "ransomware-live-attack": "sources.ransomware_live.parser:parse_attack",
        "leak-claim": "sources.ransomware_live.parser:parse_claim",
    },
    required=("victim", "date", "country", "claim_gang", "url"),
)
