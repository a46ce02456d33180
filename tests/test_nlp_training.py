"""Training the analysis models (pipelines/nlp/training.py, `incidents train`) on a small
labelled set written here, in our own words; and the shipped models file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.vocabulary import SPECIFIC_INCIDENT_TYPES
from pipelines.nlp import build_nlp
from pipelines.nlp.features import VICTIM_ONLY
from pipelines.nlp.learned import MODELS_FILE, LinearModel, Models, TreeModel, load_models
from pipelines.nlp.training import featurize, load_dataset, name_matches, train, train_models
from tests.conftest import run_cli

ORGS = [
    "Harbour Bank",
    "Northfield Council",
    "Lumen Clinics",
    "Apex Freight",
    "Corvid Airlines",
    "Delta Water",
]
AGENCIES = ["FBI", "National Crime Agency"]


def incident(i: int) -> tuple[dict, dict]:
    org = ORGS[i % len(ORGS)]
    agency = AGENCIES[i % 2]
    kind = "ransomware" if i % 2 else "data_breach"
    if kind == "ransomware":
        title = f"{org} hit by ransomware attack"
        text = (
            f"{org} said on Monday that a ransomware attack encrypted its computer systems and the criminals "
            f"demanded a ransom. The {agency} is investigating the attack on {org}. Email and online payments "
            "were disrupted while the systems were restored."
        )
        services = [["email"], ["online payments"]]
    else:
        title = f"{org} discloses data breach affecting customers"
        text = (
            f"Hackers stole the names and addresses of customers from {org}, the company disclosed. "
            f"{org} notified the {agency} and said the intruders accessed a database of customer records."
        )
        services = []
    article = {"id": f"inc{i}", "title": title, "text": text}
    labels = {
        "id": f"inc{i}",
        "is_incident": True,
        "victims": [[org]],
        "incident_types": [kind],
        "attackers": [],
        "agencies": [[agency]],
        "services_affected": services,
        "split": "validation" if i >= 10 else "train",
    }
    return article, labels


def non_incident(i: int) -> tuple[dict, dict]:
    vendor = ["Microsoft", "Google", "Oracle", "Adobe"][i % 4]
    article = {
        "id": f"non{i}",
        "title": f"{vendor} patches flaws in its software",
        "text": (
            f"{vendor} released updates for twelve vulnerabilities in its products. Researchers said "
            "users should install the patch; no attacks exploiting the flaws have been seen."
        ),
    }
    labels = {
        "id": f"non{i}",
        "is_incident": False,
        "victims": [],
        "incident_types": [],
        "attackers": [],
        "agencies": [],
        "services_affected": [],
        "split": "validation" if i >= 8 else "train",
    }
    return article, labels


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("labelled")
    pairs = [incident(i) for i in range(12)] + [non_incident(i) for i in range(10)]
    (folder / "input.jsonl").write_text("".join(json.dumps(a) + "\n" for a, _ in pairs), encoding="utf-8")
    (folder / "labels.jsonl").write_text(
        "".join(json.dumps(b) + "\n" for _, b in pairs) + "not json\n", encoding="utf-8"
    )
    annotation = folder / "casie-annotation"
    annotation.mkdir()
    for article, _ in pairs:
        (annotation / f"{article['id']}.json").write_text(json.dumps(casie_events(article)), encoding="utf-8")
    return folder


def casie_events(article: dict) -> dict:
    """CASIE's annotation form: an attack nugget that happened (realis Actual) in each incident,
    a generic one ("attacks" that have not been seen) in each patch note."""
    text = article["text"]
    events = []
    for word, subtype, realis in (
        ("encrypted", "Ransom", "Actual"),
        ("stole", "Databreach", "Actual"),
        ("attacks", "Databreach", "Generic"),
    ):
        if word in text:
            start = text.index(word)
            nugget = {"startOffset": start, "endOffset": start + len(word), "text": word}
            events.append({"type": "Attack", "subtype": subtype, "realis": realis, "nugget": nugget})
    return {"content": text, "cyberevent": {"hopper": [{"events": events}]}}


@pytest.fixture(scope="module")
def rules_nlp():
    return build_nlp(learned=False)


def test_labels_and_articles_are_read_and_split(labelled):
    data = load_dataset(labelled)
    assert len(data.articles) == 22 and len(data.labels) == 22
    assert sum(lab.split == "train" for lab in data.labels.values()) == 18
    assert data.labels["inc1"].victims == [["Northfield Council"]]
    assert data.labels["inc1"].types == {"ransomware"}


def test_event_sentence_models_learn_what_happened(labelled, rules_nlp):
    from pipelines.nlp.features import sentence_terms

    data = load_dataset(labelled)
    assert data.events["inc1"][0][2:] == ("Ransom", "Actual")
    featurized = featurize([data.articles[k] for k in data.labels], rules_nlp)
    models, report = train_models(data, featurized)
    assert report["events"]["articles"] == 18
    events = Models.from_dict(models).events
    happened = sentence_terms(
        "Hackers stole the records of customers from Apex Freight, the company disclosed."
    )
    patch = sentence_terms("Oracle released updates for twelve vulnerabilities in its products.")
    assert events["attack"].probability(happened) > events["attack"].probability(patch)
    assert events["data_breach"].probability(happened) > events["ransomware"].probability(happened)


def test_event_offsets_into_the_input_text_land_on_the_analysed_text():
    """CASIE's offsets are into the article's own text: `Prepared.body_start` says where that
    text starts once the title is put before it, also when the text is cut short."""
    from pipelines.nlp.analyzer import prepare

    text = "Hackers encrypted the council's servers on Monday. " * 40
    at = text.index("encrypted", 500)
    for title, limit in (("Council hit", 100_000), ("Council hit", 1_000), ("", 1_000)):
        prepared = prepare({"id": "x", "title": title, "text": text}, limit)
        assert prepared.truncated == (limit < len(text))
        assert prepared.text[prepared.body_start + at :].startswith("encrypted")
    prepared = prepare({"id": "x", "title": "Council hit", "text": "Council hit\n\n" + text}, 100_000)
    assert prepared.body_start == 0 and prepared.text[len("Council hit\n\n") + at :].startswith("encrypted")


def test_services_match_as_the_guide_scores_and_our_labels_leniently():
    from pipelines.nlp.training import LenientTerm, service_matches

    assert service_matches("about 1,000 computers", "computers")  # the phrase holds the term
    assert not service_matches("claims processing", "pharmacy insurance claims processing")
    # our own articles' descriptive labels also take a phrase inside them, as the bench scores them
    assert service_matches("claims processing", LenientTerm("pharmacy insurance claims processing"))
    assert not service_matches("claims", LenientTerm("claimsprocessing"))


def test_names_match_as_the_labelling_guide_scores():
    assert name_matches("Intercontinental Hotels Group", "IHG")
    assert name_matches("Royal Mail", "Royal Mail Group Ltd")
    assert name_matches("Royal", "Royal Mail International")  # whole words contained count
    assert not name_matches("Mail", "Gmail")


def test_training_learns_the_labels_and_is_deterministic(labelled, rules_nlp, tmp_path):
    data = load_dataset(labelled)
    featurized = featurize([data.articles[k] for k in data.labels], rules_nlp)
    first, report = train_models(data, featurized)
    second, _ = train_models(data, featurized)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    models = Models.from_dict(first)
    assert report["detect"]["cv_f1"] > 0.8
    # with one --data folder its own figure is the overall one
    assert report["victim"]["cv_f1_by_data"] == {labelled.name: report["victim"]["cv_f1"]}
    assert set(report["attacker"]["rule_cv_f1_by_data"]) == {labelled.name}
    # the victim ranker puts the named organisation above everything else in a held-out incident
    feats = featurized["inc10"].features
    ranked = sorted(
        (c for c in feats.candidates if c.role != "country"),
        key=lambda c: -models.victim.probability(c.features),
    )
    assert ranked[0].name == ORGS[10 % len(ORGS)]
    # the detector tells the held-out incident from the held-out patch note
    p_inc = models.detect.probability(models.vector(featurized["inc11"].features))
    p_non = models.detect.probability(models.vector(featurized["non9"].features))
    assert p_inc > models.detect.threshold > p_non


def test_role_figures_are_reported_per_data_folder():
    """`incidents train` prints each ranker's cross-validation per --data folder too (the real
    articles beside our own): the counts of each folder's articles summed on their own."""
    from pipelines.nlp.training import Labels, f1_by_source

    labels = {
        "a": Labels("a", source="realdev"),
        "b": Labels("b", source="realdev"),
        "c": Labels("c", source="own"),
    }
    counts = {"a": (1, 1, 0), "b": (0, 0, 2), "c": (2, 0, 0)}
    assert f1_by_source(counts, labels) == {"own": 1.0, "realdev": 0.4}  # 2 * 1 / (2 + 1 + 2)


def test_train_writes_a_models_file_the_pipeline_loads(labelled, rules_nlp, tmp_path):
    out = tmp_path / "models.json"
    report = train(labelled, out, nlp=rules_nlp)
    again = tmp_path / "again.json"
    train(labelled, again, nlp=rules_nlp)
    assert out.read_bytes() == again.read_bytes()  # same data, same model, bit for bit
    assert report["validation"]["articles"] == 4
    assert report["validation"]["incident_f1"] == 1.0
    nlp = build_nlp(component_config={"incident_learned": {"models_path": str(out)}})
    from pipelines.nlp import Analyzer

    record = (
        Analyzer(nlp=nlp)
        .analyze_one(
            {
                "id": "x",
                "title": "Delta Water hit by ransomware attack",
                "text": (
                    "Delta Water said a ransomware attack encrypted its computer systems. The FBI is investigating the attack "
                    "on Delta Water."
                ),
            }
        )
        .to_dict()
    )
    assert record["is_incident"] and record["victims"] == ["Delta Water"]


def test_train_command_reports_errors_clearly(tmp_path):
    (tmp_path / "labels.jsonl").write_text(
        json.dumps({"id": "a", "is_incident": True}) + "\n", encoding="utf-8"
    )
    result = run_cli("train", "--data", str(tmp_path), "--out", str(tmp_path / "m.json"), timeout=120)
    assert result.returncode == 2
    assert "no labelled training articles" in result.stderr
    result = run_cli("train", "--data", str(tmp_path / "missing"), timeout=60)
    assert result.returncode == 2 and "not a folder" in result.stderr


def test_shipped_models_are_small_and_complete():
    assert MODELS_FILE.stat().st_size < 20 * 1024 * 1024
    models = load_models()
    assert models is not None
    assert set(models.types) == set(SPECIFIC_INCIDENT_TYPES)  # every type but the fallback
    assert models.detect.weights and models.idf
    for ranker in (models.victim, models.attacker, models.agency):
        assert isinstance(ranker, (LinearModel, TreeModel))
    # which model each role uses was chosen by cross-validation, and the file says so
    report = models.meta["cross_validation"]
    for role in ("victim", "attacker", "agency"):
        assert report[role]["model"] in {"logistic regression", "gradient boosting"}
        assert "trees_cv_f1" in report[role]
    # the attacker and agency features are not read by the victim ranker, but by those two
    from pipelines.nlp.training import ATTACKER_AGENCY_FEATURES

    read = lambda ranker: ranker.weights if isinstance(ranker, LinearModel) else ranker.features  # noqa: E731
    assert not [k for k in read(models.victim) if k.startswith(ATTACKER_AGENCY_FEATURES)]
    assert any(k.startswith(ATTACKER_AGENCY_FEATURES) for k in read(models.attacker))
    assert any(k.startswith("statistics_") for k in read(models.agency))


def test_trees_score_as_scikit_learn_does():
    """The gradient-boosting ranker, stored as plain nodes, gives scikit-learn's probabilities."""
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier

    from pipelines.nlp.learned import ranker_from_dict
    from pipelines.nlp.training import TREE_SETTINGS, _matrix, fit_trees, model_dict

    rng = np.random.default_rng(0)
    rows = [
        {"a": float(rng.random()), "b": float(rng.integers(0, 2)), **({"c": 1.0} if i % 3 == 0 else {})}
        for i in range(120)
    ]
    y = np.array([int(r["a"] + 0.5 * r["b"] + r.get("c", 0.0) > 0.9) for r in rows])
    w = np.ones(len(rows))
    w[::5] = 0.5
    model = fit_trees(rows, y, w, TREE_SETTINGS[0])
    assert isinstance(model, TreeModel)
    names = {k: i for i, k in enumerate(sorted({k for r in rows for k in r}))}
    reference = GradientBoostingClassifier(random_state=0, **TREE_SETTINGS[0])
    reference.fit(_matrix(rows, names), y, sample_weight=w)
    expected = reference.predict_proba(_matrix(rows, names))[:, 1]
    got = np.array([model.probability(r) for r in rows])
    assert np.abs(got - expected).max() < 1e-4
    again = ranker_from_dict(json.loads(json.dumps(model_dict(model))))
    assert [again.probability(r) for r in rows[:5]] == [model.probability(r) for r in rows[:5]]


# -- the features the role models read ---------------------------------------------------------
def candidates_of(nlp, title: str, text: str) -> dict:
    from pipelines.nlp.analyzer import prepare

    prepared = prepare({"id": "t", "title": title, "text": text}, 100_000)
    doc = nlp.make_doc(prepared.text)
    doc._.title_end = prepared.title_end
    with nlp.select_pipes(disable=["incident_learned"]):  # it drops the clusters it reads
        doc = nlp(doc)
    return {c.name: c for c in nlp.get_pipe("incident_learned").features(doc).candidates}


def test_the_company_is_evidence_for_the_organisation_it_refers_to(rules_nlp):
    found = candidates_of(
        rules_nlp,
        "Incident at a regional lender",
        "Harbour Bank said on Monday that it was looking into an incident. Researchers at Delta Labs "
        "said the attack was serious. The bank said hackers had accessed its customer database.",
    )
    bank = found["Harbour Bank"].features
    assert bank["coref"] > 0  # "The bank" -> Harbour Bank, not the researchers' firm
    assert any(k.startswith("coref_cue:") for k in bank) and bank["coref_cue_total"] > 0
    assert all("coref" not in c.features for name, c in found.items() if name != "Harbour Bank")


def test_actor_names_as_the_text_writes_them(rules_nlp):
    from pipelines.nlp.features import record_names

    found = candidates_of(
        rules_nlp,
        "Studio files leaked",
        "The hacker group TheDarkOverlord claimed responsibility for the theft of the files. "
        "Investigators said North Korean hackers were behind a separate attack on a bank.",
    )
    actor = next(c for c in found.values() if "TheDarkOverlord" in c.forms)
    assert record_names(actor, "attackers") == ["TheDarkOverlord"]  # not the gazetteer's "The Dark Overlord"
    assert {"actor:claimed", "actor:named"} & set(actor.features)
    state = next(c for c in found.values() if c.role == "country")
    assert state.name == "North Korea" and record_names(state, "attackers") == ["North Korea"]


def test_a_strain_that_encrypts_is_no_actor_but_a_charged_person_with_an_age_is(rules_nlp):
    from pipelines.nlp.features import DocFeatures, attacker_candidates

    found = candidates_of(
        rules_nlp,
        "Clinic files locked",
        "Harbour Clinic said the Locky ransomware encrypted its files on Monday. Separately, Tomas "
        "Brennik, 34, pleaded guilty to stealing payroll records, and a state is behind the hack "
        "of a ministry, officials said: Russian hackers attacked its servers. X paid Y for the data.",
    )
    strain = next(c for c in found.values() if c.name == "Locky")
    assert strain.features.get("strain_only")  # the malware "encrypted", no actor of its own
    person = next(c for c in found.values() if "Tomas Brennik" in c.forms or c.name == "Tomas Brennik")
    assert person.features.get("actor_any:aged") and person.features.get("actor_any:legal")
    state = next(c for c in found.values() if c.role == "country")
    assert state.features.get("acting_state")
    kept = {c.name for c in attacker_candidates(DocFeatures(candidates=list(found.values())))}
    assert "Locky" not in kept and not {"X", "Y"} & kept


def test_a_malware_strain_is_no_attacker_candidate_but_a_named_group_is(rules_nlp):
    from pipelines.nlp.features import DocFeatures, attacker_candidates

    found = candidates_of(
        rules_nlp,
        "Clinic hit by ransomware",
        "Harbour Clinic said its computers were infected with the Locky ransomware on Monday. A separate "
        "attack on a council was claimed by a group calling itself Grey Lantern. Researchers said a "
        "threat actor they have dubbed Quiet Heron stole the council's data.",
    )
    strain = next(c for c in found.values() if c.name == "Locky")
    assert strain.features.get("strain_only") and strain.features.get("actor_kind:malware")
    kept = {c.name for c in attacker_candidates(DocFeatures(candidates=list(found.values())))}
    assert "Locky" not in kept and "Harbour Clinic" in kept
    group = next(c for c in found.values() if "Grey Lantern" in c.forms)
    assert group.features.get("actor_any:named") and group.features.get("acting_unlisted")
    heron = next(c for c in found.values() if "Quiet Heron" in c.name)
    assert heron.features.get("actor_any:introduced")


def test_an_agency_cited_for_figures_is_marked(rules_nlp):
    found = candidates_of(
        rules_nlp,
        "Hospital hit by ransomware",
        "Harbour Hospital said ransomware had encrypted its systems on Monday and that it had "
        "notified the police. According to its annual report, the FBI received 2,673 complaints "
        "about ransomware last year, with losses of 29 million dollars.",
    )
    fbi = next(c for c in found.values() if "FBI" in c.forms)
    assert fbi.features.get("statistics_only") == 1.0
    assert not found["Harbour Hospital"].features.get("statistics_sentence")


def test_parent_and_brand_are_linked(rules_nlp):
    found = candidates_of(
        rules_nlp,
        "Airline hit by data breach",
        "Corvid Airlines, a subsidiary of Apex Holdings, said hackers stole the data of passengers. "
        "Corvid Airlines is investigating.",
    )
    parent = next(c for c in found.values() if c.name.startswith("Apex"))
    assert found["Corvid Airlines"].features.get("rel:brand") == 1.0
    assert parent.features.get("rel:parent") == 1.0


def test_job_titles_in_a_name_are_seen():
    from collections import Counter

    from pipelines.nlp.features import FeatureExtractor

    extractor = FeatureExtractor()
    f: dict[str, float] = {}
    extractor.name_features("CEO Steve Long", Counter({"CEO Steve Long": 2}), {"ceo", "steve", "long"}, f)
    assert f["name_title"] == 1.0 and f["name_lower"] == 0.0
    f = {}
    extractor.name_features("Romanian Police", Counter({"Romanian Police": 1}), {"romanian", "police"}, f)
    assert f["name_country_prefix"] == 1.0 and f["aword:police"] == 1.0 and f["agency_head"] == 1.0
    f = {}
    extractor.name_features("Long", Counter({"Long": 3, "Steve Long": 1}), {"long"}, f)
    assert f["surname_form"] == 1.0  # a person's surname, not an organisation's short form
    f = {}
    extractor.name_features("Hancock", Counter({"Hancock": 3, "Hancock Health": 1}), {"hancock"}, f)
    assert "surname_form" not in f and "agency_head" not in f


def test_list_partners_and_actor_cues_said_once(rules_nlp):
    found = candidates_of(
        rules_nlp,
        "Retailers breached",
        "Hackers breached Larkspur Foods, Tamsin Outdoor and Bellweather Books, the companies said. "
        "Larkspur Foods said Larkspur Foods is working with investigators. Larkspur Foods will "
        "notify customers. Police arrested Dorian Vasquez, who admitted the intrusion.",
    )
    listed = [c for c in found.values() if c.features.get("list_partners")]
    assert len(listed) >= 2 and all(c.features["list_partner_score"] >= -1.0 for c in listed)
    person = next(c for c in found.values() if "Vasquez" in c.name)
    assert person.features.get("actor_any:legal") == 1.0 and person.features["acting_kinds"] > 0


def test_victim_only_features(rules_nlp):
    """The victim ranker's own features: a brand a phishing mail fakes across the parser's
    hyphen split, a job title before or after a person's name and a surname as its short
    form, a platform's name, a clause that tells of the name being hit; only the victim
    ranker reads them (VICTIM_ONLY)."""
    found = candidates_of(
        rules_nlp,
        "Clinic chain hit by ransomware",
        "Marlow Clinics reported being infected by ransomware on Monday, CEO Dana Whitcombe said. "
        "Dana Whitcombe, the chief executive, said patients were safe. Attackers then sent "
        "PayPal-themed emails to patients and bought Google AdWords ads.",
    )
    clinic = found["Marlow Clinics"].features
    assert clinic.get("v:gov_victim") == 1.0
    assert "v:platform" not in clinic and "v:title_first" not in clinic
    person = next(c for name, c in found.items() if "Whitcombe" in name).features
    assert person.get("v:title_first") == 1.0 or person.get("v:title_after") == 1.0
    assert found["PayPal"].features.get("impersonated", 0) > 0
    assert found["Google AdWords"].features.get("v:platform_part") == 1.0
    from collections import Counter
    from types import SimpleNamespace

    f: dict[str, float] = {}
    extractor = rules_nlp.get_pipe("incident_learned").extractor
    person = SimpleNamespace(
        name="Dana Whitcombe", forms=Counter({"Dana Whitcombe": 1, "Whitcombe": 3}), mentions=[]
    )
    extractor.victim_features(None, person, f, 0)
    assert f == {VICTIM_ONLY + "surname_short": 1.0}  # a surname as the short form: a person
    f = {}
    org = SimpleNamespace(
        name="Hancock Health", forms=Counter({"Hancock Health": 1, "Hancock": 3}), mentions=[]
    )
    extractor.victim_features(None, org, f, 0)
    assert f == {}  # an organisation's short form is its first word


def test_names_of_one_kind_are_seen_together(rules_nlp):
    found = candidates_of(
        rules_nlp,
        "Government websites defaced",
        "Hackers defaced the website of the Ministry of Culture of Norland on Friday. The sites of "
        "the Ministry of Energy and of the Ministry of Justice also went down, and Kestrel Systems "
        "said it was investigating.",
    )
    ministries = [c for name, c in found.items() if name.startswith("Ministry of")]
    assert len(ministries) == 3
    assert all(c.features["v:same_kind"] > 0 and "v:same_kind_score" in c.features for c in ministries)
    assert "v:same_kind" not in found["Kestrel Systems"].features
    assert {c.kind for c in ministries} == {"ministry of"} and found["Kestrel Systems"].kind == "systems"


def test_a_roundup_takes_more_names_of_a_chosen_ones_kind():
    """Below the threshold, a name of the kind of a chosen victim is taken at the lower
    `kind_threshold` (a roundup of hit ".com" sites); another kind, or no expansion, is not."""
    from types import SimpleNamespace

    from pipelines.nlp.training import model_dict

    items = [SimpleNamespace(name=n, kind=k) for n, k in [("a.com", ".com"), ("b.com", ".com"), ("C", None)]]
    scored = list(zip([0.9, 0.3, 0.35], items))
    plain = LinearModel({}, 0.0, 0.5, 0.4, 6)
    assert [i.name for i in plain.select(scored)] == ["a.com"]
    roundup = LinearModel({}, 0.0, 0.5, 0.4, 6, kind_threshold=0.25, kind_max_items=12)
    assert [i.name for i in roundup.select(scored)] == ["a.com", "b.com"]
    assert [i.name for i in roundup.select(scored[1:])] == []  # nothing chosen: nothing to expand
    again = LinearModel.from_dict(json.loads(json.dumps(model_dict(roundup))))
    assert (again.kind_threshold, again.kind_max_items) == (0.25, 12)
    assert LinearModel.from_dict(json.loads(json.dumps(model_dict(plain)))).kind_threshold is None


def test_service_candidates_read_the_phrase_as_written(rules_nlp):
    """Service candidates: a word the parser split at its hyphen stays whole ("e-mail"),
    a noun phrase that an outage verb governs is one whatever its head ("surgeries were
    postponed"), the title is read too, and a phrase named again is marked as repeated."""
    article = {
        "id": "svc",
        "title": "Payroll portal taken offline after ransomware attack",
        "text": (
            "A ransomware attack on Lumen Clinics encrypted its computer systems on Monday. "
            "Lumen Clinics said its office e-mail was disrupted and that surgeries were postponed. "
            "Staff lost access to patient records and city workers were affected. "
            "The computer systems were restored on Friday."
        ),
    }
    services = featurize([article], rules_nlp)["svc"].features.services
    by_name = {s.name: s for s in services}
    assert "e-mail" in by_name
    assert "surgeries" in by_name and by_name["surgeries"].features.get("governed") == 1.0
    assert by_name["payroll portal"].features.get("in_title") == 1.0
    assert [s.features.get("repeat", 0.0) for s in services if s.name == "computer systems"] == [0.0, 1.0]
    # people and "access" are never a service, whatever verb governs them
    assert not {"access", "staff", "city workers"} & set(by_name)
    # what any mention says of a phrase reaches every mention
    first, again = [s.features for s in services if s.name == "computer systems"]
    assert first.get("name_any:status_near") == again.get("name_any:status_near") == 1.0
    assert first["name_mentions"] == again["name_mentions"] > 0


def test_rule_type_cues_are_read_whether_or_not_the_rules_see_an_incident(rules_nlp):
    """The rules' type cues reach the learned detector even for an article the rules do not
    call an incident: the models may, and then type it from them."""
    from pipelines.nlp.state import doc_analysis

    doc = rules_nlp("Staff received phishing emails. Nothing else is known.")
    analysis = doc_analysis(doc)
    assert not analysis.is_incident and analysis.incident_types == []
    assert "phishing" in analysis.type_cues


def test_a_type_keeps_its_evidence_threshold():
    from pipelines.nlp.training import model_dict

    model = LinearModel({"a": 1.0}, -0.5, 0.3, 0.3, with_rules=False, evidence=0.05)
    again = LinearModel.from_dict(json.loads(json.dumps(model_dict(model))))
    assert again.evidence == 0.05 and again.threshold == 0.3
    assert LinearModel.from_dict({"weights": {}, "bias": 0.0}).evidence is None


def test_type_evidence_comes_only_from_asserted_sentences():
    """The learned types' evidence and the rule classifier share one idea of an asserted
    sentence: the body sentences and title `asserted_sentences` keeps, nothing else."""
    from pipelines.nlp.features import DocFeatures
    from pipelines.nlp.learned import evidence_reading

    body = [
        (10, 40, "Ransomware may have hit the council.", ("hedged",)),
        (41, 80, "Its files were encrypted.", ()),
    ]
    features = DocFeatures(body=body, title="Council hit", asserted=[False, True], title_asserted=False)
    readings = {"ransomware": ([0.9, 0.6], 0.95)}
    assert evidence_reading(features, readings, "ransomware") == (0.6, "Its files were encrypted.")
    features.asserted = [False, False]
    assert evidence_reading(features, readings, "ransomware") == (-1.0, "")
    features.title_asserted = True
    assert evidence_reading(features, readings, "ransomware") == (0.95, "Council hit")
