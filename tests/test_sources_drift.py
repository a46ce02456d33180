"""Format drift is loud: a source whose answer lost a column, or lists nothing where the last
crawl listed something, is named with what is missing — in the crawl summary, the crawl report
and `incidents sources --check` — and the crawl goes on. Values read as the sites send them."""

from __future__ import annotations

from datetime import UTC

from incidents.commands.crawl import format_crawl_summary
from sources.common import date_value, decode_body, find_column, is_missing
from sources.portal_california.spider import read_export, read_list_page
from tests.test_sources_registry import (
    CONTACT,
    crawl,
    latest_report,
    run_cli,
    serve_sources,
    write_toml_sources,
)

EXPORT = "privacy/databreach/list-export"
HEADER = '"Organization Name","Date(s) of Breach  (if known)","Reported Date"\r\n'


def california(tmp_path, base_url: str):
    return write_toml_sources(
        tmp_path / "s.toml",
        [
            {
                "name": "ca",
                "kind": "portal-california",
                "url": f"{base_url}/{EXPORT}",
                "publisher": "California AG",
            }
        ],
    )


def test_a_lost_column_and_an_emptied_list_are_reported_and_the_crawl_goes_on(tmp_path):
    web_root = tmp_path / "web"
    (web_root / EXPORT).mkdir(parents=True)
    export = web_root / EXPORT / "default.csv"
    export.write_text(HEADER + '"Acme Dental","04/02/2024","06/28/2024"\r\n', encoding="utf-8")
    with serve_sources(web_root) as web:
        sources = california(tmp_path, web.base_url)
        crawl(sources, tmp_path / "d")
        assert latest_report(tmp_path / "d", "portal-california")["sources"]["ca"]["drift"] == 0

        # The site drops the reported date and renames nothing else: rows are still stored.
        export.write_text('"Organization Name","Date(s) of Breach (if known)"\r\n"Globex","01/02/2024"\r\n')
        result = crawl(sources, tmp_path / "d")
        report = latest_report(tmp_path / "d", "portal-california")["sources"]["ca"]
        assert report["stored"] == 1 and report["drift_reasons"] == {"no 'Reported Date' column": 1}
        assert (
            "sources that changed shape" in result.stdout and "ca: no 'Reported Date' column" in result.stdout
        )

        # Then the export comes back empty: the last crawl listed rows, so that is drift too.
        export.write_text(HEADER)
        crawl(sources, tmp_path / "d")
        report = latest_report(tmp_path / "d", "portal-california")["sources"]["ca"]
        assert report["drift_reasons"] == {"no entries (the last crawl listed 1)": 1}

        check = run_cli(
            "sources", "--sources", str(sources), "--check", "--allow-private-addresses",
            env={"INCIDENTS_CONTACT": CONTACT},
        )  # fmt: skip
    assert check.returncode == 1  # listing nothing is a failed check for a portal
    assert "0 rows (it should list some: check the source)" in check.stdout


def test_check_names_what_a_record_source_lacks(tmp_path):
    web_root = tmp_path / "web"
    (web_root / EXPORT).mkdir(parents=True)
    (web_root / EXPORT / "default.csv").write_text('"Organization Name"\r\n"Acme"\r\n"Globex"\r\n')
    with serve_sources(web_root) as web:
        check = run_cli(
            "sources",
            "--sources",
            str(california(tmp_path, web.base_url)),
            "--check",
            "--allow-private-addresses",
        )
    line = next(line for line in check.stdout.splitlines() if line.startswith("ca "))
    assert "2 rows; no 'Date(s) of Breach (if known)' column; no 'Reported Date' column" in line


def test_a_withdrawn_source_is_skipped_and_said_so(tmp_path):
    entry = (
        '[[sources]]\nname = "me"\nkind = "portal-maine"\nurl = "http://127.0.0.1:9/list.html"\n'
        'publisher = "Maine AG"\nunavailable = { since = "2026-06-12", reason = "the database is offline" }\n'
    )
    sources = tmp_path / "s.toml"
    sources.write_text(entry, encoding="utf-8")
    listed = run_cli("sources", "--sources", str(sources))
    assert "(unavailable since 2026-06-12: the database is offline)" in listed.stdout
    crawl(sources, tmp_path / "d")
    report = latest_report(tmp_path / "d", "portal-maine")["sources"]["me"]
    assert report["skipped_reasons"] == {"source_unavailable": 1} and report["failed"] == 0


def test_the_crawl_summary_lists_drift_by_source():
    summary = format_crawl_summary(
        {
            "ca": {
                "listed": 5,
                "fetched": 5,
                "stored": 5,
                "skipped": 0,
                "failed": 0,
                "drift": 1,
                "skipped_reasons": {},
                "failed_reasons": {},
                "drift_reasons": {"no 'Reported Date' column": 1},
            }
        }
    )
    assert summary.splitlines()[-2:] == [
        "sources that changed shape (read anyway; check their parsers):",
        "  ca: no 'Reported Date' column",
    ]


def test_two_notices_with_the_same_fields_keep_two_keys():
    body = (HEADER + '"Acme","","06/28/2024"\r\n' * 2).encode()
    keys = [
        entry.key for entry in read_export(body, "https://oag.ca.gov/privacy/databreach/list-export").entries
    ]
    assert len(keys) == 2 and len(set(keys)) == 2


def test_pages_are_decoded_with_the_charset_of_the_http_header_first():
    page = (
        "<table><tr><td><a href='/ecrime/databreach/reports/sb24-1'>See\u2019s Candies, Inc.</a></td>"
        "<td>n/a</td><td>09/02/2026</td></tr></table>"
    ).encode("cp1252")
    listing = read_list_page(
        page, "https://oag.ca.gov/privacy/databreach/list", "text/html; charset=windows-1252"
    )
    assert listing.entries[0].record["Organization Name"] == "See\u2019s Candies, Inc."
    assert decode_body("caf\u00e9".encode("latin-1"), "text/plain; charset=iso-8859-1") == "caf\u00e9"


def test_values_as_the_sites_send_them():
    assert all(is_missing(v) for v in (False, 0, float("nan"), None, "", " N/A ", "n/a", "Not Found", []))
    assert not any(is_missing(v) for v in (True, 566, "Acme", ["Play"]))
    assert find_column(["Organization Name", "Date(s) of Breach  (if known)"], "date(s) of breach (if known)")
    assert find_column(["BUSINESS NAME"], "Business Name") == "BUSINESS NAME"
    for text, iso in [
        ("06/28/2024", "2024-06-28T00:00:00+00:00"),
        ("9/11/2020 7:59:16 PM", "2020-09-11T19:59:16+00:00"),
        ("Thu, 14 Mar 2024 14:13:50 EDT", "2024-03-14T18:13:50+00:00"),
        ("Tue, 22 Sep 2026 18:52:36 CEST", "2026-09-22T16:52:36+00:00"),
        ("2025-05-07 20:28:54.140558", "2025-05-07T20:28:54.140558+00:00"),
        (1743465600000, "2025-04-01T00:00:00+00:00"),
        ("1717372800", "2024-06-03T00:00:00+00:00"),
        ("Tuesday, December 23, 2025", "2025-12-23T00:00:00+00:00"),
        ("15-Jul-26", "2026-07-15T00:00:00+00:00"),
    ]:
        assert date_value(text).astimezone(UTC).isoformat() == iso, text
    for value in (float("nan"), False, "", "n/a", "May 2024", "Monday", "not a date"):
        assert date_value(value) is None, value
