"""incidents export: every filter, readable columns, BOM, formula neutralisation, XLSX."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from fixtures.dataset.factory import HOSTILE_TITLE, sample_rows, write_extracted

from analysis.build import build_dataset
from analysis.exports import export_incidents, make_filters
from analysis.exports.sheets import COLUMNS
from analysis.spreadsheet import FORMULA_START, neutralise
from core.config import DataDir
from incidents.cli import main


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> DataDir:
    data_dir = DataDir.resolve(tmp_path_factory.mktemp("export"))
    write_extracted(data_dir.extracted, sample_rows())
    build_dataset(data_dir)
    return data_dir


def read_csv(path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def exported(data_dir, tmp_path, *options) -> list[dict]:
    out = tmp_path / "out.csv"
    assert main(["export", "csv", "--out", str(out), "--data-dir", str(data_dir.root), *options]) == 0
    return read_csv(out)


def ids(rows) -> set[str]:
    return {r["Incident ID"] for r in rows}


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("  =cmd", "'  =cmd"),
        ("\n@x", "'\n@x"),
        ("\u00a0-1", "'\u00a0-1"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("Royal Mail", "Royal Mail"),
        ("a=b", "a=b"),
        ("", ""),
        ("Ünïcode — ok", "Ünïcode — ok"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_columns_lists_links_and_no_formula_cells(data_dir, tmp_path):
    rows = exported(data_dir, tmp_path)
    assert list(rows[0]) == [heading for heading, _ in COLUMNS]
    royal = next(r for r in rows if r["Incident ID"] == "royal-mail-2023-01")
    assert royal["Agencies involved"] == "National Cyber Security Centre; National Crime Agency"
    assert royal["Source links"].count("https://") == 3 and "; " in royal["Source links"]
    assert royal["Articles"] == "2" and royal["First reported"] == "2023-01-11"
    hostile = next(r for r in rows if r["Incident ID"].startswith("cmd"))
    assert hostile["Headline"] == "'" + HOSTILE_TITLE
    assert hostile["Victim"].startswith("'-cmd")
    assert hostile["Sector"] == "'@manufacturing"
    for row in rows:
        for value in row.values():
            assert value[:1] not in FORMULA_START | {"\t", "\r"}
            assert value.lstrip()[:1] not in FORMULA_START or value.startswith("'")


@pytest.mark.parametrize(
    "options, expected",
    [
        (
            ["--since", "2024-01-01"],
            {"change-healthcare-2024-02", "capital-health-2024-01", "cmd-c-calc-a0-2024-05"},
        ),
        (["--until", "2018-09-30"], {"british-airways-2018-09"}),
        (["--since", "2023-01-11", "--until", "2023-01-11"], {"royal-mail-2023-01"}),
        (["--type", "ddos"], {"royal-mail-2023-09"}),
        (
            ["--type", "ransomware", "--type", "malware"],
            {
                "royal-mail-2023-01",
                "change-healthcare-2024-02",
                "capital-health-2024-01",
                "cmd-c-calc-a0-2024-05",
            },
        ),
        (["--type", "data breach"], {"british-airways-2018-09"}),
        (
            ["--country", "gb", "--type", "ddos,data_breach"],
            {"royal-mail-2023-09", "british-airways-2018-09"},
        ),
        (["--country", "Germany"], {"cmd-c-calc-a0-2024-05"}),
        (["--sector", "Healthcare"], {"change-healthcare-2024-02", "capital-health-2024-01"}),
        (["--sector", "postal"], {"royal-mail-2023-01"}),
        (["--agency", "National Crime Agency"], {"royal-mail-2023-01"}),
        (["--agency", "NCSC"], {"royal-mail-2023-01"}),
        (["--agency", "investigation"], {"change-healthcare-2024-02"}),
        (["--agency", "ICO", "--country", "US"], set()),
    ],
)
def test_every_filter(data_dir, tmp_path, options, expected):
    assert ids(exported(data_dir, tmp_path, *options)) == expected


@pytest.mark.parametrize(
    "option, value, listed",
    [
        ("--type", "ransomwar", "did you mean 'ransomware'"),
        ("--sector", "narnian mining", "healthcare"),
        ("--agency", "Ministry of Magic", "National Crime Agency"),
        ("--attacker", "Blofeld", "LockBit"),
        ("--source", "packetledgr", "did you mean 'packetledger'"),
    ],
)
def test_unknown_filter_values_list_the_known_ones(data_dir, capsys, option, value, listed):
    assert main(["export", "csv", option, value, "--data-dir", str(data_dir.root)]) == 2
    err = capsys.readouterr().err
    assert value in err and "known:" in err and listed in err


def test_attacker_and_source_filters(data_dir, tmp_path):
    assert ids(exported(data_dir, tmp_path, "--attacker", "lockbit")) == {
        "royal-mail-2023-01",
        "capital-health-2024-01",
    }
    assert "royal-mail-2023-01" in ids(exported(data_dir, tmp_path, "--source", "breachdesk"))


def test_bad_filters_are_user_errors(data_dir, capsys):
    assert main(["export", "csv", "--country", "Narnia", "--data-dir", str(data_dir.root)]) == 2
    assert "Narnia" in capsys.readouterr().err
    assert main(["export", "sqlite", "--type", "ddos", "--data-dir", str(data_dir.root)]) == 2
    assert (
        main(
            [
                "export",
                "csv",
                "--since",
                "2024-02-01",
                "--until",
                "2024-01-01",
                "--data-dir",
                str(data_dir.root),
            ]
        )
        == 2
    )


def test_default_output_path(data_dir):
    assert main(["export", "csv", "--data-dir", str(data_dir.root)]) == 0
    assert len(read_csv(data_dir.exports / "incidents.csv")) == 6


def test_xlsx_has_typed_cells_real_dates_and_clickable_links(data_dir, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "incidents.xlsx"
    assert export_incidents(out, "xlsx", make_filters(types="malware,ransomware"), data_dir) == 4
    with zipfile.ZipFile(out) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet  # no formulas at all
    assert "&apos;=HYPERLINK" not in strings and "'=HYPERLINK" not in strings  # no visible guard
    workbook = load_workbook(out)
    incidents, sources = workbook["Incidents"], workbook["Sources"]
    headings = [c.value for c in incidents[1]]
    rows = [dict(zip(headings, (c for c in row))) for row in incidents.iter_rows(min_row=2)]
    hostile = next(r for r in rows if r["Incident ID"].value.startswith("cmd"))
    assert hostile["Headline"].value == HOSTILE_TITLE and hostile["Headline"].data_type == "s"
    assert hostile["Victim"].value.startswith("-cmd")
    royal = next(r for r in rows if r["Incident ID"].value == "royal-mail-2023-01")
    assert (
        royal["First reported"].is_date and royal["First reported"].value.date().isoformat() == "2023-01-11"
    )
    assert royal["First reported"].number_format == "yyyy-mm-dd"
    assert royal["Articles"].data_type == "n" and royal["Articles"].value == 2
    assert royal["Source links"].hyperlink.target.startswith("https://")
    assert "more on the Sources sheet" in royal["Source links"].value
    linked = [row for row in sources.iter_rows(min_row=2) if row[0].value == "royal-mail-2023-01"]
    assert len(linked) == 3 and all(row[5].hyperlink.target == row[5].value for row in linked)
    assert all(row[3].is_date for row in linked) and {row[2].value for row in linked} >= {"Packetledger"}


def test_xlsx_links_only_web_urls(tmp_path):
    from openpyxl import load_workbook

    from analysis.exports.sheets import write_xlsx

    out = tmp_path / "x.xlsx"
    write_xlsx([], [["id", "victim", "pub", None, "t", "javascript:alert(1)"]], out)
    cell = load_workbook(out)["Sources"]["F2"]
    assert cell.value == "javascript:alert(1)" and cell.hyperlink is None
