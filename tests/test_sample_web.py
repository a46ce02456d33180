"""The sample web is what its content files say it is, with every promised hazard."""

from __future__ import annotations

import filecmp
import json
from collections import Counter

from core.config import SAMPLE_WEB
from sample_web.render import load_articles, render


def test_rendered_site_and_gold_are_up_to_date(tmp_path):
    rendered = tmp_path / "sample"
    rendered.mkdir()
    (rendered / "content").symlink_to(SAMPLE_WEB / "content")
    render(rendered)
    comparison = filecmp.dircmp(rendered / "web", SAMPLE_WEB / "web")
    stale = _differences(comparison)
    assert not stale, f"run `python -m sample_web.render`: {stale[:5]}"
    assert (rendered / "gold.jsonl").read_text() == (SAMPLE_WEB / "gold.jsonl").read_text()


def _differences(comparison) -> list[str]:
    found = comparison.left_only + comparison.right_only + comparison.diff_files
    for sub in comparison.subdirs.values():
        found += _differences(sub)
    return found


def test_sample_web_has_what_the_issue_asks_for():
    articles = load_articles(SAMPLE_WEB / "content")
    assert len(articles) >= 40
    assert len({a.outlet for a in articles}) >= 4
    kinds = Counter(a.kind for a in articles)
    assert kinds["statement"] >= 3 and kinds["non_incident"] >= 5
    per_incident = Counter(a.gold["incident_key"] for a in articles if a.gold["incident_key"])
    multi_outlet = [
        key for key in per_incident if len({a.outlet for a in articles if a.gold["incident_key"] == key}) > 1
    ]
    assert len(multi_outlet) >= 3
    hazards = {h for a in articles for h in a.hazards}
    assert {"cp1252", "malformed", "formula_title", "huge", "syndicated_copy"} <= hazards
    robots = (SAMPLE_WEB / "web" / "robots.txt").read_text()
    assert "Disallow: /metrotribune/private/" in robots
    assert "utm_source" in (SAMPLE_WEB / "web" / "packetledger" / "feed.xml").read_text()
    gold = [json.loads(line) for line in (SAMPLE_WEB / "gold.jsonl").read_text().splitlines()]
    assert all(
        {"is_incident", "incident_types", "victims", "agencies", "services_affected", "attackers"} <= set(g)
        for g in gold
    )
