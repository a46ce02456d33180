"""The sec-edgar source kind: EDGAR full-text search for 8-K filings that disclose a cyber
incident (Item 1.05, or 8.01); each filing's document is fetched and stored with its search
hit as one sec-8k record."""

from sources.common import SourceKind

KIND = SourceKind(
    name="sec-edgar",
    spider="sources.sec_edgar.spider:SecEdgarSpider",
    read="sources.sec_edgar.spider:read_search",
    noun="filings",
    parsers={"sec-8k": "sources.sec_edgar.parser:parse_sec_filing"},
    required=("hits.hits", "hits.total", "_source.items", "_source.ciks", "_source.adsh"),
    check_url="sources.sec_edgar.spider:check_url",
    needs_contact=True,
)
