"""The portal-maine source kind: the Maine Attorney General's breach-notice database (list pages,
one detail page per notice). Withdrawn in June 2026: the sources file marks it unavailable;
the spider and parser stay for archived copies of its pages."""

from sources.common import SourceKind

KIND = SourceKind(
    name="portal-maine",
    spider="sources.portal_maine.spider:MainePortalSpider",
    read="sources.portal_maine.spider:read_list",
    noun="notices",
    parsers={"portal-maine": "sources.portal_maine.parser:parse_maine_notice"},
    required=("Entity Name", "Date(s) Breach Occured", "Date(s) of consumer notification"),
)
