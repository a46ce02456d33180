"""The controlled vocabularies of the analysis record and the dataset (DESIGN.md contracts)."""

from __future__ import annotations

# `incident_types` values, in the order the contract lists them; `unspecified` is an incident
# whose nature the text does not say.
INCIDENT_TYPES: tuple[str, ...] = (
    "ransomware",
    "data_breach",
    "ddos",
    "phishing",
    "bec",
    "malware",
    "supply_chain",
    "espionage",
    "defacement",
    "wiper",
    "extortion",
    "account_takeover",
    "unspecified",
)
# The asserted types: everything but the fallback.
SPECIFIC_INCIDENT_TYPES: tuple[str, ...] = INCIDENT_TYPES[:-1]

# `mentions.role` values.
ROLES: tuple[str, ...] = ("victim", "agency", "attacker", "vendor", "other")

# Where an article's published_at came from, in the order pipelines.parsing.dates tries them;
# then the build's: an undated near-duplicate copy takes its story's earliest date.
STORY_DATED = "story"
PUBLISHED_SOURCES = ("metadata", "feed", "sitemap", "page_text", "url", "none", STORY_DATED)
