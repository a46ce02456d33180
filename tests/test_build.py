"""incidents build: clustering edge cases, stable IDs, incremental = full, atomic writes."""

from __future__ import annotations

import json

import pandas as pd
import pandera.errors
import pytest
from fixtures.dataset.factory import article, sample_rows, write_extracted

from analysis import load_dataset, storage
from analysis.build import build_dataset
from analysis.query import UnknownIncident
from analysis.schema import validate
from core.config import DataDir
from core.names import normalise, victim_keys
from incidents.cli import main

TABLES = ("incidents", "articles", "mentions", "statements")


def built(tmp_path, rows, name="d") -> DataDir:
    data_dir = DataDir.resolve(tmp_path / name)
    write_extracted(data_dir.extracted, rows)
    build_dataset(data_dir)
    return data_dir


def incidents_of(data_dir: DataDir) -> pd.DataFrame:
    return load_dataset(data_dir)["incidents"].set_index("incident_id")


def test_name_keys_drop_legal_forms_and_resolve_acronyms():
    assert normalise("The Royal Mail Group plc") == normalise("ROYAL MAIL") == "royal mail"
    assert normalise("Medibank’s") == "medibank"
    keys = victim_keys(["British Airways", "BA", "M&S", "Marks & Spencer", "American", "American Airlines"])
    assert keys["BA"] == keys["British Airways"]
    assert keys["M&S"] == keys["Marks & Spencer"]
    assert keys["American Airlines"] != keys["American"]  # generic words never swallow a name
    tails = victim_keys(["British Library", "Library", "T-Mobile", "Mobile", "Metro Bank", "Bank"])
    assert tails["Library"] == tails["British Library"] and tails["Mobile"] == tails["T-Mobile"]
    assert tails["Bank"] != tails["Metro Bank"]


def test_aliases_acronyms_and_syndication_make_one_incident(tmp_path):
    incidents = incidents_of(built(tmp_path, sample_rows()))
    royal = incidents.loc["royal-mail-2023-01"]
    assert royal["victim"] == "Royal Mail"
    assert len(royal["source_urls"]) == 3  # every URL kept...
    assert royal["n_articles"] == 2  # ...but the syndicated copy counts once
    assert royal["n_sources"] == 2
    assert list(royal["incident_types"]) == ["ransomware"]  # "unspecified" refined away
    assert list(royal["attackers"]) == ["LockBit"]
    assert set(royal["agencies"]) == {"National Cyber Security Centre", "National Crime Agency"}
    assert royal["country"] == "GB"
    ba = incidents.loc["british-airways-2018-09"]
    assert ba["victim"] == "British Airways"
    assert ba["n_articles"] == 2 and ba["country"] == "GB"  # "United Kingdom" → GB


def test_same_organisation_months_apart_stays_two(tmp_path):
    incidents = incidents_of(built(tmp_path, sample_rows()))
    assert {"royal-mail-2023-01", "royal-mail-2023-09"} <= set(incidents.index)
    assert list(incidents.loc["royal-mail-2023-09", "incident_types"]) == ["ddos"]


def test_lookback_joins_a_retrospective_story_but_not_a_new_breach(tmp_path):
    rows = [
        article("tm-2021", "2021-08-18T10:00", ["T-Mobile"], types=["data_breach"]),
        article(
            "tm-fine",
            "2023-07-01T10:00",
            ["T-Mobile US"],
            types=["data_breach"],
            text="Regulators fined T-Mobile over the August 2021 cyberattack. " * 5,
        ),
        article("ba-2018", "2018-09-07T10:00", ["British Airways"], types=["data_breach"]),
        article(
            "ba-2023",
            "2023-06-05T10:00",
            ["British Airways"],
            types=["data_breach"],
            text="The activity started on 25 May 2023. It recalls the August 2018 breach. " * 5,
        ),
    ]
    ids = set(incidents_of(built(tmp_path, rows)).index)
    assert ids == {"t-mobile-2021-08", "british-airways-2018-09", "british-airways-2023-06"}


def test_syndicated_copy_with_other_victim_spelling_lands_in_one_incident(tmp_path):
    text = "Hackers hit the Acme Corporation payroll systems on Monday, the company said. " * 8
    rows = [
        article("acme-1", "2024-04-01T10:00", ["Acme Corporation"], text=text, source="a"),
        article("acme-2", "2024-04-02T10:00", ["Acme Payroll Services"], text=text, source="b"),
        article("acme-3", "2024-04-02T11:00", [], text=text, source="c"),
    ]
    incidents = incidents_of(built(tmp_path, rows))
    assert len(incidents) == 1
    assert incidents.iloc[0]["n_articles"] == 1 and len(incidents.iloc[0]["source_urls"]) == 3


def test_hostile_strings_are_kept_verbatim_and_ids_stay_slugs(tmp_path):
    data_dir = built(tmp_path, sample_rows() + [article("emoji", "2024-06-01", ["💥 Ünïcode GmbH"])])
    incidents = incidents_of(data_dir)
    assert all(pd.Series(incidents.index).str.fullmatch(r"[a-z0-9-]+"))
    assert "-cmd|' /C calc'!A0" in set(incidents["victim"])
    assert "unicode-2024-06" in incidents.index


def test_ids_are_stable_across_rebuilds_and_batch_order(tmp_path):
    rows = sample_rows()
    first = built(tmp_path, rows, "a")
    again = DataDir.resolve(tmp_path / "b")
    for row in reversed(rows):  # one batch per article, in reverse order
        write_extracted(again.extracted, [row])
    build_dataset(again)
    build_dataset(again)
    assert sorted(incidents_of(first).index) == sorted(incidents_of(again).index)


def _tables(data_dir: DataDir) -> dict[str, pd.DataFrame]:
    dataset = load_dataset(data_dir, tables=TABLES)
    return {
        name: dataset[name].sort_values(list(dataset[name].columns[:2])).reset_index(drop=True).astype(str)
        for name in TABLES
    }


def test_incremental_build_equals_full_rebuild(tmp_path):
    rows = sample_rows()
    incremental = DataDir.resolve(tmp_path / "inc")
    write_extracted(incremental.extracted, rows[:5])
    build_dataset(incremental)
    write_extracted(incremental.extracted, rows[5:])  # a new crawl
    build_dataset(incremental)
    full = built(tmp_path, rows, "full")
    for name, frame in _tables(incremental).items():
        pd.testing.assert_frame_equal(frame, _tables(full)[name], obj=name)


def assert_same_dataset(incremental: DataDir, full: DataDir) -> None:
    """Every table as stored (row order included; `redirects` keeps an incremental build's
    history, so it is left out), the card but for when and how it was built, and the state."""
    for name in TABLES:
        pd.testing.assert_frame_equal(
            storage.read_frame(incremental.dataset, name), storage.read_frame(full.dataset, name), obj=name
        )
    cards = [storage.read_card(d.dataset) for d in (incremental, full)]
    for card in cards:
        for key in ("built_at", "build_seconds", "build"):
            card.pop(key)
        card["rows"].pop("redirects")
    assert cards[0] == cards[1]
    # The state but for the part each row came from (the two data dirs' parts have other names).
    states = [pd.read_parquet(d.dataset / ".build-state" / "articles.parquet") for d in (incremental, full)]
    pd.testing.assert_frame_equal(states[0].drop(columns="part"), states[1].drop(columns="part"), obj="state")


def test_incremental_build_of_new_and_changed_articles_equals_full_rebuild(tmp_path):
    from bench.dataset_build import generate

    table, _ = generate(1500, 120)
    rows = table.to_pylist()
    changed = [
        dict(row, victims=["Someone Else Entirely"], text=row["text"] + " Updated.") for row in rows[:3]
    ]
    incremental = DataDir.resolve(tmp_path / "inc")
    write_extracted(incremental.extracted, rows[:1000])
    build_dataset(incremental)
    write_extracted(incremental.extracted, rows[1000:1300])  # an incremental build's state...
    build_dataset(incremental)
    before = incidents_of(incremental)
    write_extracted(incremental.extracted, rows[1300:] + changed)  # ...serves the next one
    build_dataset(incremental)
    assert storage.read_card(incremental.dataset)["build"] == "incremental"
    full = DataDir.resolve(tmp_path / "full")
    write_extracted(full.extracted, rows[1300:] + changed + rows[3:1300])
    build_dataset(full, incremental=False)
    for name, frame in _tables(incremental).items():
        pd.testing.assert_frame_equal(frame, _tables(full)[name], obj=name)
    after = incidents_of(incremental)
    untouched = [i for i in before.index if i in after.index]
    assert len(untouched) > 0.8 * len(before)  # ids of incidents that got no new article stay
    assert_same_dataset(incremental, full)


def _write_part(data_dir: DataDir, name: str, rows: list[dict]) -> None:
    """A part under a chosen name (its name orders it among the others)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.extracted import articles_dir
    from pipelines.extracted_schema import EXTRACTED_ARTICLE

    table = pa.Table.from_pylist(
        [{c: row.get(c) for c in EXTRACTED_ARTICLE.names} for row in rows], schema=EXTRACTED_ARTICLE
    )
    articles_dir(data_dir.extracted).mkdir(parents=True, exist_ok=True)
    pq.write_table(table, articles_dir(data_dir.extracted) / name)


def test_incremental_build_patches_dates_ids_and_older_rows_as_a_full_build_does(tmp_path):
    """Step by step: an undated copy that a later wire story dates, an earlier report that
    moves an incident's ID, a re-extraction in a part that sorts before the row it repeats
    (the older part's row still wins), statements and services on old and new rows."""
    wire_text = article("wire", "2023-03-01T08:00", ["Northport Harbour"])["text"]
    undated = dict(article("undated", "2023-03-01T08:00", ["Northport Harbour"], text=wire_text))
    undated.update(published_at=None, published_source="none")
    late = article(
        "late",
        "2023-02-03T10:00",
        ["Example Ltd"],
        services=["payroll"],
        statements=[("Example", "We are investigating.")],
    )
    steps = [
        ("part-20230101T000000000000-a.parquet", [undated, late, *sample_rows()[:4]]),
        (
            "part-20230201T000000000000-b.parquet",
            [article("wire", "2023-03-01T08:00", ["Northport Harbour"])],
        ),
        (
            "part-20230301T000000000000-c.parquet",
            [article("early", "2023-01-30T10:00", ["Example"], services=["email"]), *sample_rows()[4:]],
        ),
        # Sorts first: its row of `late` is older than the one already read, and loses.
        ("part-20220101T000000000000-z.parquet", [dict(late, victims=["Somebody Else"])]),
    ]
    incremental = DataDir.resolve(tmp_path / "inc")
    for name, rows in steps:
        _write_part(incremental, name, rows)
        build_dataset(incremental)
        full = DataDir.resolve(tmp_path / f"full-{name}")
        for part, part_rows in steps[: steps.index((name, rows)) + 1]:
            _write_part(full, part, part_rows)
        build_dataset(full, incremental=False)
        assert storage.read_card(incremental.dataset)["build"] == (
            "full" if name == steps[0][0] else "incremental"
        )
        assert_same_dataset(incremental, full)
    articles = load_dataset(incremental)["articles"].set_index("article_id")
    assert articles.loc[undated["article_id"], "published_source"] == "story"
    assert articles.loc[late["article_id"], "victims"].tolist() == ["Example Ltd"]
    assert load_dataset(incremental).resolve("example-2023-02") == "example-2023-01"


def test_earlier_article_moves_the_id_and_records_a_redirect(tmp_path):
    data_dir = built(tmp_path, [article("late", "2023-02-03T10:00", ["Example Ltd"])])
    assert list(incidents_of(data_dir).index) == ["example-2023-02"]
    write_extracted(data_dir.extracted, [article("early", "2023-01-30T10:00", ["Example"])])
    build_dataset(data_dir)
    dataset = load_dataset(data_dir)
    assert list(dataset["incidents"]["incident_id"]) == ["example-2023-01"]
    assert dataset.resolve("example-2023-02") == "example-2023-01"
    assert dataset.resolve("example-2023-01") == "example-2023-01"
    with pytest.raises(UnknownIncident, match="did you mean example-2023-01"):
        dataset.resolve("exemple-2023-01")


def test_a_build_killed_half_way_leaves_the_previous_dataset(tmp_path, monkeypatch):
    data_dir = built(tmp_path, sample_rows()[:4])
    before = _tables(data_dir)
    write_extracted(data_dir.extracted, sample_rows()[4:])
    real_write = storage.write_table
    calls = []

    def dying(folder, name, table):
        calls.append(name)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        real_write(folder, name, table)

    monkeypatch.setattr(storage, "write_table", dying)
    with pytest.raises(KeyboardInterrupt):
        build_dataset(data_dir)
    after = _tables(data_dir)
    for name in TABLES:
        pd.testing.assert_frame_equal(before[name], after[name])
    assert not list(tmp_path.glob("d/dataset.*"))  # no staging left behind
    monkeypatch.setattr(storage, "write_table", real_write)
    build_dataset(data_dir)
    assert len(load_dataset(data_dir)["incidents"]) > len(before["incidents"])


def test_a_kill_between_the_two_renames_is_recovered(tmp_path):
    data_dir = built(tmp_path, sample_rows())
    aside = data_dir.dataset.parent / "dataset.previous-deadbeef"
    data_dir.dataset.rename(aside)  # the state a kill between the renames leaves
    assert len(load_dataset(data_dir)["incidents"]) > 0  # readers fall back to it
    build_dataset(data_dir)
    assert data_dir.dataset.is_dir() and not aside.exists()


def test_validation_rejects_a_broken_table():
    bad = pd.DataFrame(
        {
            "incident_id": ["x-2024-01", "x-2024-01"],
            "country": ["United Kingdom", "GB"],
            "incident_types": [["ransomware"], ["not-a-type"]],
            "n_articles": [1, 0],
            "n_sources": [1, 1],
            "source_urls": [["u"], []],
            "first_reported_at": pd.to_datetime(["2024-01-02", "2024-01-01"], utc=True),
            "last_reported_at": pd.to_datetime(["2024-01-01", "2024-01-01"], utc=True),
        }
    )
    with pytest.raises(pandera.errors.SchemaErrors) as failure:
        validate("incidents", bad)
    message = str(failure.value)
    for column in ("incident_id", "country", "incident_types", "n_articles", "source_urls"):
        assert column in message


def test_dataset_card_and_schema(tmp_path):
    data_dir = built(tmp_path, sample_rows())
    card = json.loads((data_dir.dataset / "dataset.json").read_text())
    assert card["extractor_versions"] == {"test-1": len(sample_rows())}
    assert {s["source"] for s in card["sources"]} == {
        "packetledger",
        "breachdesk",
        "metrotribune",
        "northwind",
    }
    assert [f["name"] for f in card["tables"]["incidents"]][:3] == ["incident_id", "title", "victim"]
    assert "## Schema" in (data_dir.dataset / "README.md").read_text()
    incidents = pd.read_parquet(data_dir.dataset / "incidents")
    assert str(incidents["first_reported_at"].dtype) == "datetime64[us, UTC]"
    assert isinstance(incidents["country"].dtype, pd.CategoricalDtype)
    articles = pd.read_parquet(data_dir.dataset / "articles")
    assert articles.loc[articles["is_incident"].eq(False), "incident_id"].isna().all()


def test_build_command(tmp_path, capsys):
    data_dir = DataDir.resolve(tmp_path)
    write_extracted(data_dir.extracted, sample_rows())
    assert main(["build", "--data-dir", str(tmp_path)]) == 0
    assert "incidents from" in capsys.readouterr().out


def test_a_build_with_nothing_new_does_nothing(tmp_path, capsys):
    data_dir = DataDir.resolve(tmp_path)
    write_extracted(data_dir.extracted, sample_rows())
    first = build_dataset(data_dir)
    published = {p: p.stat().st_mtime_ns for p in data_dir.dataset.rglob("*")}
    again = build_dataset(data_dir)
    assert again.mode == "unchanged"
    assert (again.articles, again.incidents, again.mentions) == (
        first.articles,
        first.incidents,
        first.mentions,
    )
    assert {p: p.stat().st_mtime_ns for p in data_dir.dataset.rglob("*")} == published  # untouched
    assert main(["build", "--data-dir", str(tmp_path)]) == 0
    assert "nothing new or changed since the last build" in capsys.readouterr().out
    # --full always builds; new extracted articles make the next build do its work again.
    assert build_dataset(data_dir, incremental=False).mode == "full"
    write_extracted(data_dir.extracted, [article("late-news", "2024-05-02T10:00", ["Example Ltd"])])
    assert build_dataset(data_dir).mode == "incremental"
    assert build_dataset(data_dir).mode == "unchanged"


def test_an_unreadable_previous_table_makes_a_full_build(tmp_path, caplog):
    data_dir = built(tmp_path, sample_rows()[:4])
    for part in (data_dir.dataset / "mentions").glob("*.parquet"):
        part.write_bytes(b"not parquet")
    write_extracted(data_dir.extracted, sample_rows()[4:])
    assert build_dataset(data_dir).mode == "full"
    assert "unreadable" in caplog.text
    full = built(tmp_path, sample_rows(), "full")
    for name, frame in _tables(data_dir).items():
        pd.testing.assert_frame_equal(frame, _tables(full)[name], obj=name)


def test_other_gazetteers_are_not_nothing_new(tmp_path):
    import shutil

    from core.config import GAZETTEERS

    data_dir = built(tmp_path, sample_rows())
    gazetteers = shutil.copytree(GAZETTEERS, tmp_path / "gazetteers")
    assert build_dataset(data_dir, gazetteers).mode == "unchanged"  # the same gazetteers elsewhere
    victims = next(p for p in sorted(gazetteers.rglob("*")) if p.is_file())
    victims.write_text(victims.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert build_dataset(data_dir, gazetteers).mode == "full"


def test_an_undated_copy_takes_its_story_s_earliest_date(tmp_path):
    text = article("wire", "2023-03-01T08:00", ["Northport Harbour"])["text"]
    rows = [
        article("wire", "2023-03-01T08:00", ["Northport Harbour"], text=text),
        article("reprint", "2023-03-05T08:00", ["Northport Harbour"], text=text + " Republished."),
        dict(article("undated", "2023-03-01T08:00", ["Northport Harbour"], text=text), published_at=None),
    ]
    rows[2]["published_source"] = "none"
    articles = load_dataset(built(tmp_path, rows))["articles"].set_index("article_id")
    copy, wire = articles.loc[rows[2]["article_id"]], articles.loc[rows[0]["article_id"]]
    assert copy["published_at"] == wire["published_at"] == pd.Timestamp("2023-03-01T08:00", tz="UTC")
    assert copy["published_source"] == "story" and wire["published_source"] != "story"
    assert copy["incident_id"] == wire["incident_id"] == "northport-harbour-2023-03"


def test_build_on_an_empty_data_dir_publishes_nothing(tmp_path, capsys):
    assert main(["build", "--data-dir", str(tmp_path)]) == 2
    assert "no extracted articles" in capsys.readouterr().err
    assert not DataDir.resolve(tmp_path).dataset.exists()


def test_filing_agency_statement_and_press_merge_into_one_incident(tmp_path):
    """A regulatory filing (its filer as the victim, as EDGAR spells it), an agency's
    statement and press coverage of one incident become one record with every source."""
    from sources.sec_edgar.parser import company_and_tickers

    filer, _ = company_and_tickers("CLOROX CO /DE/  (CLX)  (CIK 0000021076)")
    rows = [
        article("clorox-8k", "2023-08-14T20:00:00", [filer], source="sec-8k-item-1-05"),
        article(
            "clorox-hit", "2023-08-15T09:00:00", ["Clorox"], types=["unspecified"], source="packetledger"
        ),
        article(
            "clorox-cisa",
            "2023-08-16T12:00:00",
            ["The Clorox Company"],
            source="govwire",
            agencies=[("Cybersecurity and Infrastructure Security Agency", "US")],
        ),
        article("clorox-later", "2023-09-20T08:00:00", ["Clorox"], types=["ransomware"], source="breachdesk"),
    ]
    data_dir = DataDir.resolve(tmp_path)
    write_extracted(data_dir.extracted, rows)
    build_dataset(data_dir)
    incidents = pd.read_parquet(data_dir.dataset / "incidents")
    assert len(incidents) == 1
    record = incidents.iloc[0]
    assert record["n_sources"] == 4
    assert list(record["incident_types"]) == ["ransomware"]
    assert "Cybersecurity and Infrastructure Security Agency" in list(record["agencies"])
