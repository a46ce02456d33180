"""incidents serve: datasette over the SQLite export on 127.0.0.1, looked at in headless Chromium:
search finds an incident, a facet filters, an incident's page links its articles."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fixtures.dataset.factory import sample_rows, write_extracted

from analysis.build import build_dataset
from core.config import DataDir
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    not shutil.which("chromium") and not os.environ.get("INCIDENTS_REQUIRE_CHROMIUM"),
    reason="headless Chromium not installed (apt-get install chromium); CI installs it and requires this test",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """`incidents serve --port 0` on a small dataset; yields the base URL."""
    data_dir = DataDir.resolve(tmp_path_factory.mktemp("serve"))
    write_extracted(data_dir.extracted, sample_rows())
    build_dataset(data_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "incidents", "serve", "--port", "0", "--data-dir", str(data_dir.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("serving "):
                break
        found = re.search(r"serving (http://127\.0\.0\.1:\d+)/incidents/incidents", "".join(lines))
        assert found, "".join(lines) + process.stderr.read() if process.poll() is not None else "".join(lines)
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)


def dom(url: str) -> str:
    from bench.report_screenshot import dump_dom

    return html.unescape(dump_dom(url))


def row_ids(page: str) -> set[str]:
    """Incident IDs of the table rows a datasette page shows."""
    return set(re.findall(r'<td class="col-incident_id[^"]*"[^>]*><a href="[^"]*">([a-z0-9-]+)</a>', page))


def test_search_finds_an_incident(server):
    page = dom(f"{server}/incidents/incidents?_search=Royal+Mail")
    assert row_ids(page) == {"royal-mail-2023-01", "royal-mail-2023-09"}
    assert "2 rows where search matches" in page


def test_a_facet_filters(server):
    page = dom(f"{server}/incidents/incidents")
    assert len(row_ids(page)) == 6
    for facet in ("country", "sector", "incident_types", "agencies", "attackers"):
        assert f'data-column="{facet}"' in page, facet
    link = re.search(r'href="([^"]*[?&]country=US[^"]*)"', page)
    assert link, "no facet link for country US"
    filtered = dom(link.group(1) if link.group(1).startswith("http") else server + link.group(1))
    assert row_ids(filtered) == {"change-healthcare-2024-02", "capital-health-2024-01"}
    ransomware = dom(f"{server}/incidents/incidents?incident_types__arraycontains=ddos")
    assert row_ids(ransomware) == {"royal-mail-2023-09"}


def test_an_incident_page_links_its_articles(server):
    page = dom(f"{server}/incidents/incidents/royal-mail-2023-01")
    assert "Royal Mail" in page and "export mail" in page
    link = "/incidents/articles?incident_id=royal-mail-2023-01"
    assert f'href="{link}"' in page
    articles = dom(server + link)
    assert "https://packetledger.example/rm-export" in articles
    assert "https://breachdesk.example/rm-lockbit" in articles
    assert '3 rows where incident_id = "royal-mail-2023-01"' in articles


def test_columns_are_described(server):
    page = dom(f"{server}/-/metadata.json")
    assert "The victim organisation, in the spelling most articles use" in page
