"""The portal-texas source kind: the Texas Attorney General's data-security-breach reports, read
through the public page's own Visualforce remoting call (JSON), one record per report."""

from sources.common import SourceKind

KIND = SourceKind(
    name="portal-texas",
    spider="sources.portal_texas.spider:TexasPortalSpider",
    read="sources.portal_texas.spider:read_reports",
    noun="reports",
    parsers={"portal-texas": "sources.portal_texas.parser:parse_texas_report"},
    required=(
        "Id",
        "Business_Name__c",
        "Published_at_AG_website_Date__c",
        "Number_of_Texans_affected_by_the_breach__c",
    ),
)
