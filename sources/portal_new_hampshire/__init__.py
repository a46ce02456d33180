"""The portal-new-hampshire source kind: the New Hampshire DOJ's security-breach notifications,
read through the document API its listing page uses (JSON, paged), one record per notice."""

from sources.common import SourceKind

KIND = SourceKind(
    name="portal-new-hampshire",
    spider="sources.portal_new_hampshire.spider:NewHampshirePortalSpider",
    read="sources.portal_new_hampshire.spider:read_documents",
    noun="notices",
    parsers={"portal-new-hampshire": "sources.portal_new_hampshire.parser:parse_nh_notice"},
    required=("data", "last_page", "fields.field_date_posted", "fields.field_document_file"),
)
