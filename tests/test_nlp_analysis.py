"""The analysis stage (pipelines/nlp) with the real spaCy model: each component on focused
sentences, the Royal Mail example, the held-out fixtures, bad input and streaming."""

from __future__ import annotations

import json
import resource
from pathlib import Path

import pytest

from core.countries import country_code
from core.names import is_acronym, names_match
from pipelines.nlp import ANALYZER_VERSION, Analyzer
from pipelines.nlp.text import find_quotes
from tests.conftest import RECORD_KEYS

EXAMPLES = Path(__file__).parent / "fixtures" / "nlp"  # copied from shared/examples
FIXTURES = Path(__file__).parent / "fixtures" / "nlp"


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer()


def analyse(analyzer: Analyzer, text: str, title: str = "", **extra) -> dict:
    return analyzer.analyze_one({"id": "t", "title": title, "text": text, **extra}).to_dict()


# -- helpers ------------------------------------------------------------------------------
def test_names_match_is_lenient_but_not_loose():
    assert names_match("Royal Mail Group", "Royal Mail")
    assert names_match("NCA", "National Crime Agency")
    assert names_match("TfL", "Transport for London")
    # Word containment counts from three characters on: "Mail" is Royal Mail, "AB" is not AB InBev.
    assert names_match("Mail", "Royal Mail")
    assert not names_match("AB", "AB InBev")
    assert not names_match("Equifax", "Experian")
    assert is_acronym("M&S", "Marks & Spencer")


def test_country_codes_from_names_aliases_and_demonyms():
    assert country_code("UK") == "GB"
    assert country_code("the United States") == "US"
    assert country_code("Germany") == "DE"
    assert country_code("British") == "GB"
    assert country_code("Atlanta") is None


def test_quotes_curly_straight_and_continued_over_paragraphs():
    text = '“We are working on it,” it said.\nHe added: "It is serious."\n“First part of a long quote\n“Second part.”'
    quotes = find_quotes(text)
    bodies = [text[q.start : q.end] for q in quotes]
    assert bodies[0] == "We are working on it,"
    assert bodies[1] == "It is serious."
    assert quotes[2].open_ended and bodies[3] == "Second part."


# -- components on focused sentences ------------------------------------------------------
def test_victim_is_who_was_hit_not_vendor_or_commentator(analyzer):
    record = analyse(
        analyzer,
        "Acme Logistics said on Monday that hackers breached its network and stole customer data. "
        "Jane Smith, a researcher at security firm Bluefin Labs, said such attacks are common.",
        title="Acme Logistics hit by data breach",
    )
    assert record["is_incident"]
    assert record["victims"] == ["Acme Logistics"]
    assert "data_breach" in record["incident_types"]
    roles = {m["text"]: m["role"] for m in record["mentions"]}
    assert roles.get("Bluefin Labs") != "victim"


def test_passive_and_attack_on_patterns(analyzer):
    record = analyse(
        analyzer,
        "The ransomware attack on Harbor County Hospital forced staff to use paper records. "
        "The hospital said its patient portal was offline while systems are restored.",
        title="Ransomware attack on Harbor County Hospital",
    )
    assert record["victims"] == ["Harbor County Hospital"]
    assert record["incident_types"] == ["ransomware"]
    services = {s["service"]: s["status"] for s in record["services"]}
    assert services.get("patient portal") == "suspended"


def test_speculation_is_not_a_type(analyzer):
    record = analyse(
        analyzer,
        "Northgate Water said a cyber incident had disrupted its billing systems. "
        "Incidents of this kind are often tied to ransomware, but there is no indication of what caused it.",
        title="Northgate Water suffers cyber incident",
    )
    assert record["is_incident"]
    assert "ransomware" not in record["incident_types"]


def test_patch_news_is_not_an_incident(analyzer):
    record = analyse(
        analyzer,
        "Microsoft released patches for 60 vulnerabilities on Tuesday, including a critical flaw in "
        "Windows that could allow remote code execution. Administrators should install the update.",
        title="Microsoft patches critical Windows flaw",
    )
    assert not record["is_incident"]
    assert record["victims"] == [] and record["incident_types"] == []


def test_agency_alias_and_country(analyzer):
    record = analyse(
        analyzer,
        "The UK's National Cyber Security Centre (NCSC) said it was working with Medway Council "
        "after a cyber attack took its website offline. The NCSC said it was aware of the incident.",
        title="Medway Council website offline after cyber attack",
    )
    agencies = {a["name"]: a["country"] for a in record["agencies"]}
    assert agencies.get("National Cyber Security Centre") == "GB"
    assert "GB" in record["countries"]
    assert record["victims"] == ["Medway Council"]


def test_statement_speaker_resolution(analyzer):
    record = analyse(
        analyzer,
        "Pinecrest Bank confirmed a breach of customer data on Friday.\n\n"
        "“We are contacting every affected customer,” the company said.\n\n"
        "Tom Reyes, chief executive of Greyline Security, said: “Banks remain a prime target.”",
        title="Pinecrest Bank confirms data breach",
    )
    speakers = {s["quote"][:20]: s["speaker"] for s in record["statements"]}
    assert speakers["We are contacting ev"] == "Pinecrest Bank"
    assert speakers["Banks remain a prime"] == "Tom Reyes"


# -- the Royal Mail example -----------------------------------------------------------------
def test_royal_mail_example(analyzer):
    text = (EXAMPLES / "royal-mail-2023-01.txt").read_text(encoding="utf-8")
    expected = json.loads((EXAMPLES / "royal-mail-2023-01.expected.json").read_text(encoding="utf-8"))
    record = analyzer.analyze_one({"id": expected["id"], "title": "", "text": text}).to_dict()
    assert set(record) >= RECORD_KEYS
    assert record["is_incident"]
    assert record["victims"] == ["Royal Mail"]
    assert record["incident_types"] == ["unspecified"]
    assert {(a["name"], a["country"]) for a in record["agencies"]} == {
        ("National Cyber Security Centre", "GB"),
        ("National Crime Agency", "GB"),
    }
    assert record["attackers"] == []
    assert record["countries"] == ["GB"]
    assert "export mail" in record["services_affected"]
    assert any(s["service"] == "export mail" and s["status"] == "suspended" for s in record["services"])
    for org in ("CybSafe", "Parcelforce Worldwide"):
        assert org in record["organisations"]
        assert org not in record["victims"]
    for wanted in expected["statements"]:
        speakers = [
            s["speaker"] for s in record["statements"] if s["quote"].startswith(wanted["quote_starts"])
        ]
        assert speakers == [wanted["speaker"]], (wanted, record["statements"])


# -- held-out fixtures ----------------------------------------------------------------------
# Articles the analyser was not tuned on, scored as a set. The floors sit a little under what
# the analyser scored when each set was last measured (victims F1, detection F1, type macro-F1),
# so a change that makes the analysis worse on unseen text fails here.
# The type floors of heldout and heldout3 were lowered when the trained models took over the
# decisions (docs/models.md): on these 2020s articles they type less well than the rules did
# (0.79 and 0.76 macro-F1 then, 0.71 and 0.63 now), while on real 2017-2019 news they type better.
HELD_OUT_FLOORS = {
    "heldout": (0.65, 0.92, 0.68),
    "heldout2": (0.81, 0.92, 0.51),
    "heldout3": (0.80, 0.92, 0.60),
}


@pytest.mark.parametrize("folder", sorted(HELD_OUT_FLOORS))
def test_held_out_sets_keep_their_quality(analyzer, folder):
    from bench.nlp_quality import evaluate, load_articles

    articles = load_articles(FIXTURES / folder)
    assert len(articles) >= 40
    victims, detection, types = HELD_OUT_FLOORS[folder]
    result = evaluate(articles, analyzer)
    assert result["victims"][2] >= victims
    assert result["incident_detection"][2] >= detection
    assert result["types_macro_f1"] >= types


# The sample web's articles (data/sample/content, the gold of data/sample/gold.jsonl) as the
# rules alone read them before the trained models (victims 0.85, agencies 1.0, attackers 0.92,
# detection 1.0, types 0.91; country 34 since the attackers' places no longer count as the
# victim's; sector 29 of 38 since it is read from what the text says of the victim, in the
# vocabulary of data/gazetteers/sectors.csv): the models must not read them worse (floors a
# hair under, for one name either way).
SAMPLE_FLOORS = {"victims": 0.84, "agencies": 0.98, "attackers": 0.9, "incident_detection": 0.97}


def test_shipped_models_read_the_sample_web_as_well_as_the_rules(analyzer):
    from bench.nlp_quality import SAMPLE, evaluate, load_articles

    result = evaluate(load_articles(SAMPLE), analyzer)
    for field, floor in SAMPLE_FLOORS.items():
        assert result[field][2] >= floor, field
    assert result["types_macro_f1"] >= 0.9
    assert result["context"]["country"][0] >= 34 and result["context"]["sector"][0] >= 28


def test_worker_processes_give_the_records_of_one_process(analyzer):
    from bench.nlp_quality import load_articles

    articles = load_articles(FIXTURES / "heldout")[:12]
    one = [r.to_dict() for r in Analyzer(nlp=analyzer.nlp, n_process=1).analyze(articles)]
    with Analyzer(nlp=analyzer.nlp, n_process=2, batch_size=3) as many:
        records = [r.to_dict() for r in many.analyze(articles)]
        assert many.pool is not None
    assert records == one
    assert sum(r["is_incident"] for r in one) >= 3


# -- bad input and streaming ----------------------------------------------------------------
def test_bad_inputs_give_per_record_errors_in_order(analyzer):
    inputs = [
        {"id": "empty", "title": "", "text": ""},
        {
            "id": "german",
            "title": "Hackerangriff",
            "text": "Der Hackerangriff auf die Stadtverwaltung hat "
            "am Montag alle Computersysteme lahmgelegt. Die Behörden ermitteln, und die Bürger müssen mit "
            "Einschränkungen rechnen, bis die Systeme wiederhergestellt sind. " * 3,
        },
        {"id": "binary", "title": "x", "text": "".join(chr(i % 256) for i in range(5000))},
        {"id": "missing"},
        "not a dict",
        {
            "id": "ok",
            "title": "Acme hit by ransomware",
            "text": "Acme Corp was hit by a ransomware attack on Monday.",
        },
        {"id": "wrong-type", "text": 42},
    ]
    records = [r.to_dict() for r in analyzer.analyze(inputs)]
    assert [r["id"] for r in records] == ["empty", "german", "binary", "missing", None, "ok", "wrong-type"]
    errors = {r["id"]: r["error"] for r in records}
    assert "empty" in errors["empty"]
    assert "English" in errors["german"]
    assert "binary" in errors["binary"]
    assert "missing" in errors["missing"]
    assert errors["ok"] is None and records[5]["is_incident"]
    assert errors["wrong-type"]
    for record in records:
        assert set(record) >= RECORD_KEYS
        assert record["analyzer_version"] == ANALYZER_VERSION


def test_five_megabyte_text_is_bounded(analyzer):
    paragraph = "The company said its systems were restored after the outage and customers were informed. "
    text = "Acme Corp was hit by a ransomware attack.\n\n" + paragraph * (5_000_000 // len(paragraph))
    record = analyzer.analyze_one({"id": "big", "title": "Acme hit by ransomware", "text": text}).to_dict()
    assert record["truncated"] is True
    assert "first" in record["note"]
    assert record["error"] is None


def test_streaming_two_thousand_records_in_constant_memory():
    analyzer = Analyzer(batch_size=64)
    analyzer.chunk_size = 500

    def records(n: int):
        for i in range(n):
            yield {
                "id": str(i),
                "title": f"Company{i} hit by ransomware",
                "text": f"Company{i} Ltd said on Monday that ransomware encrypted its servers at plant {i}.",
            }

    peak_before = None
    count = 0
    for count, record in enumerate(analyzer.analyze(records(2000)), 1):
        assert record.id == str(count - 1)
        if count == 500:
            peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert count == 2000
    growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert growth_kb < 60_000, f"memory grew by {growth_kb} kB over 1,500 records"
