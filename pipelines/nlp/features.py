"""Features for the learned decisions, read from the spaCy document already parsed.

The rule components keep finding candidates and evidence; this module describes each
candidate as a sparse feature dict (name -> value) for the trained models in
`pipelines.nlp.learned`:
- organisation candidates (the clusters of `incident_roles`, plus the countries the text
  names, which can be attributed attackers): position (title, lead), frequency, entity
  labels, gazetteer class (vendor, agency, actor, malware, publisher), person and job-title
  context, the rule cues of `RoleAssigner.victim_cue` by kind and value, the grammatical
  relation of each mention (dependency and head word) and the words around it;
- service candidates: noun phrases headed by a service word in a sentence about the
  incident, with the status cues, relation and words of that sentence;
- the document: title and asserted-sentence words (tf, for a tf-idf model), and the rule
  classifier's own features and types.
Everything here is deterministic and reads no labels; training and inference share it.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from core.countries import country_code, country_name
from core.gazetteers import AGENCY, THREAT_ACTOR, load_gazetteer
from core.names import clean_name, is_acronym
from pipelines.nlp.classify import ASSERTED_KEY
from pipelines.nlp.cues import load_cues
from pipelines.nlp.roles import CLUSTERS_KEY
from pipelines.nlp.state import DocAnalysis
from pipelines.nlp.text import doc_info, is_hedged, is_past, word_ids

WORD = re.compile(r"[a-z][a-z0-9'-]*[a-z0-9]|[a-z]")
TITLES = {
    "ceo",
    "cto",
    "ciso",
    "cso",
    "cio",
    "coo",
    "cfo",
    "founder",
    "president",
    "director",
    "chief",
    "officer",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "minister",
    "senator",
    "leader",
    "mayor",
    "governor",
    "chairman",
    "chairwoman",
    "secretary",
    "representative",
    "rep",
    "sen",
    "dr",
    "mr",
    "mrs",
    "ms",
    "professor",
    "analyst",
    "researcher",
    "manager",
    "head",
    "commissioner",
    "judge",
    "attorney",
    "lawyer",
    "detective",
    "inspector",
    "sergeant",
    "chancellor",
    "superintendent",
}
AGENCY_WORDS = {
    "police",
    "department",
    "ministry",
    "commission",
    "commissioner",
    "office",
    "authority",
    "bureau",
    "agency",
    "court",
    "prosecutor",
    "prosecutors",
    "regulator",
    "fbi",
    "cert",
    "constabulary",
    "sheriff",
    "attorney",
    "government",
    "council",
    "centre",
    "center",
    "service",
    "directorate",
    "administration",
    "inspectorate",
    "ombudsman",
    "watchdog",
}
# The first body sentences of an article: its lead (the event models' `lead` flag and reading).
LEAD_SENTENCES = 3
# Candidate features only the victim ranker reads (`FeatureExtractor.victim_features`).
VICTIM_ONLY = "v:"
MALWARE_KINDS = {"malware", "tool", "botnet", "ransomware-strain", "trojan", "wiper", "loader"}
# Cues of `actor_cue` that describe a name as someone acting (not a malware name).
ACTING_CUES = (
    "legal",
    "claimed",
    "attack_subject",
    "behind",
    "attributed",
    "attack_agent",
    "named",
    "group_after",
)
# Of those, what makes a malware family of the gazetteer an actor: a claim, a group word, being
# named as a group or in court. A strain "encrypted files", was "attacked by", "behind" or
# "attributed": the malware, not who did it (the labelling guide: "WannaCry is a malware").
STRAIN_ACTING_CUES = ("legal", "claimed", "named", "group_after")
# `acting_kinds` is the number of those kinds said of a name over this (3 kinds: 1.0).
ACTING_KINDS_SCALE = 3
# A name's first body mentions read for its grammar and context features.
MENTIONS_READ = 12


@dataclass
class Candidate:
    """One name the text uses for an organisation, group, person or state."""

    name: str
    forms: list[str]
    role: str  # the rule components' role: victim, agency, attacker, vendor, person, other, country
    features: dict[str, float]
    sentence: str = ""
    country: str | None = None
    written: str = ""  # the name as the text writes it (a gazetteer's canonical name may not be)
    kind: str | None = None  # the kind of name (`FeatureExtractor.name_kind`: ".com", "trust")


def record_names(candidate: Candidate, field_name: str) -> list[str]:
    """The names the analysis record carries for a candidate chosen for `field_name`: an
    agency's name and alias, else the name as the text writes it (the labelling guide lists
    the text's own forms: "TheDarkOverlord", not the gazetteer's "The Dark Overlord")."""
    if field_name == "agencies":
        return [candidate.name, agency_alias(candidate)]
    return [candidate.written or candidate.name]


def attacker_candidates(features: DocFeatures) -> list[Candidate]:
    """The candidates an attacker is chosen from: every name but a malware family the text never
    describes as acting (the labelling guide: "WannaCry is a malware, not an actor"); a
    ransomware operation that the gazetteer lists as a group, or a strain the text has claim,
    attack or be named as a group, stays."""
    return [
        c
        for c in features.candidates
        if not (c.features.get("strain_only") and c.features.get("actor_kind:malware"))
        and sum(ch.isalnum() for ch in c.name) >= 2  # "X" and "Y" stand for someone unnamed
    ]


def agency_alias(candidate: Candidate) -> str:
    """The shortest form the text uses for an agency ("FBI")."""
    return sorted(candidate.forms, key=len)[0] if candidate.forms else candidate.name


def written_name(name: str, forms: Counter) -> str:
    """The name as the guide writes it: the full name the text spells out for an acronym
    ("Transport for London" for "TfL"); `name` when the text uses it; else the form the text
    uses most (longest on ties)."""
    if not forms:
        return name
    expansions = sorted((clean_name(f) for f in forms if is_acronym(name, f)), key=lambda f: (-len(f), f))
    if expansions:
        return expansions[0]
    keys = {clean_name(f).lower() for f in forms}
    if clean_name(name).lower() in keys:
        return name
    best = max(forms.items(), key=lambda item: (item[1], len(item[0]), item[0]))[0]
    return clean_name(best) or name


@dataclass
class ServiceCandidate:
    name: str
    features: dict[str, float]
    sentence: str = ""


@dataclass
class DocFeatures:
    terms: dict[str, float] = field(default_factory=dict)  # term -> raw count (title and asserted sentences)
    dense: dict[str, float] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)
    services: list[ServiceCandidate] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)  # asserted sentences (evidence)
    # every body sentence: (start char, end char, text, flags) for the event-sentence models
    body: list[tuple[int, int, str, tuple[str, ...]]] = field(default_factory=list)
    title: str = ""
    # which body sentences, and whether the title, assert (`IncidentClassifier.asserted_sentences`):
    # where a type's evidence sentence may come from
    asserted: list[bool] = field(default_factory=list)
    title_asserted: bool = False


def words(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("\u2019", "'"))


def term_counts(title: str, sentences: list[str]) -> dict[str, float]:
    """Unigrams and bigrams of the asserted text, title words also as their own terms."""
    counts: dict[str, float] = {}
    for text, prefix in [(title, "t:")] + [(s, "") for s in sentences]:
        tokens = words(text)
        for i, token in enumerate(tokens):
            for term in (token, f"{token} {tokens[i + 1]}" if i + 1 < len(tokens) else None):
                if term is None:
                    continue
                counts[term] = counts.get(term, 0.0) + 1.0
                if prefix:
                    counts[prefix + term] = counts.get(prefix + term, 0.0) + 1.0
    return counts


def sentence_terms(text: str, flags: tuple[str, ...] = (), position: int = 99) -> dict[str, float]:
    """Binary unigrams and bigrams of one sentence, its flags (hedged, past, quoted) and
    whether it leads the article: what the event-sentence models read."""
    tokens = words(text)
    out = {f"s:{t}": 1.0 for t in tokens}
    out.update({f"s:{a} {b}": 1.0 for a, b in zip(tokens, tokens[1:])})
    for flag in flags:
        out[f"flag:{flag}"] = 1.0
    if position < LEAD_SENTENCES:
        out["flag:lead"] = 1.0
    return out


def rule_scale(score: float) -> float:
    """A rule score as a feature: clipped to [-10, 10], scaled to [-1, 1]."""
    return max(min(score, 10.0), -10.0) / 10


def body_mentions(mentions: list[Span], t_end: int) -> list[Span]:
    """The mentions after the title, the first MENTIONS_READ of them."""
    return [m for m in mentions if m.start_char >= t_end][:MENTIONS_READ]


def governing_token(mention: Span) -> Token:
    """The mention's root, or the word its list, apposition or compound hangs from ("A, B and
    C were hit": "A" for "C"): where its grammatical role is read."""
    token = mention.root
    while token.dep_ in {"conj", "appos", "compound"} and token.head is not token:
        token = token.head
    return token


def cue_kind(why: str) -> str:
    """The kind of a `victim_cue` explanation ("was hacked" -> "was_X", "employer:ceo" -> "employer")."""
    if not why:
        return ""
    if ":" in why:
        return why.split(":", 1)[0]
    if why.startswith("was "):
        return "passive_subject"
    if why.startswith("X "):
        return "subject" + (
            "_own"
            if "its own" in why
            else "_incident"
            if "(incident)" in why
            else "_other"
            if "another" in why
            else ""
        )
    if why.endswith(" X"):
        return "object"
    if why.endswith(" including"):
        return "including"
    parts = why.split()
    if len(parts) == 3:
        return "owned_by"
    if len(parts) == 2:
        return "prep_" + parts[1]
    return why.replace(" ", "_")


class FeatureExtractor:
    """Builds `DocFeatures` from a document the rule components have annotated."""

    def __init__(self, roles=None):
        cues = load_cues()
        self.incident_words = cues["incident"]["words"] | cues["incident"]["title_words"]
        self.publishers = set(cues["roles"]["publishers"])
        self.gazetteer = load_gazetteer()
        services = cues["services"]
        self.service_heads = set(services["heads"]) | set(services["candidate_heads"])
        # a noun phrase subject or object of one of these is a service whatever its head
        # ("surgeries were postponed", "lost evidence")
        self.service_verbs = frozenset(services["governing"])
        self.service_max_words = int(services["candidate_max_words"])
        self.service_drop_first = frozenset(services["candidate_drop_first"])
        self.service_near_chars = int(services["near_chars"])
        self.service_window = int(services["window"])
        self.service_not_heads = frozenset(services["not_heads"])
        self.service_generic = frozenset(services["bare_generic"])
        statuses = ("unaffected", "restored", "suspended", "degraded", "disrupted")
        self.status_patterns = {
            s: re.compile(
                r"(?<![\w-])(?:"
                + "|".join(re.escape(c) for c in sorted(cues["services"][s], key=len, reverse=True))
                + r")(?![\w-])"
            )
            for s in statuses
        }
        self.impact_words = frozenset(cues["services"]["impact"])
        self.roles = roles
        self.incident_ids = word_ids(self.incident_words)
        self.service_verb_ids = word_ids(self.service_verbs)
        coref = cues["coreference"]
        self.coref_typed: dict[str, frozenset[str]] = dict(coref["typed_nouns"])
        self.coref_nouns = frozenset(coref["org_nouns"]) | frozenset(self.coref_typed)
        self.coref_ids = word_ids(self.coref_nouns)
        actor = cues["actor"]
        self.actor = actor
        self.candidate_words = cues["candidates"]
        self.statistics_ids = word_ids(frozenset(self.candidate_words["statistics_words"]))
        self.platforms = frozenset(cues["candidates"]["platforms"])
        self.kind_first = frozenset(cues["candidates"]["kind_first"])
        self.kind_domain = re.compile(
            r"\.(" + "|".join(re.escape(d) for d in cues["candidates"]["kind_domains"]) + r")\b"
        )
        victim = cues["victim"]
        # the clause of a mention tells of it being hit (`victim_clause`): the rules' victim
        # verbs but the particles of "taken down" and "brought down", and their subject verbs
        # with an incident noun, but the verbs of saying and being
        self.victim_verbs = frozenset(victim["passive_verbs"]) - {
            "take",
            "took",
            "taken",
            "down",
            "bring",
            "brought",
        }
        self.subject_verbs = frozenset(victim["subject_verbs"]) - {
            "say",
            "says",
            "said",
            "was",
            "is",
            "become",
            "became",
        }
        self.incident_nouns = frozenset(victim["incident_nouns"])
        phrases = sorted(cues["impersonation"]["before"], key=len, reverse=True)
        self.impersonation_before = re.compile(
            r"\b(?:" + "|".join(re.escape(w) for w in phrases) + r")\s+(?:an?\s+|the\s+)?$", re.IGNORECASE
        )
        self.impersonation_after = frozenset(cues["impersonation"]["after"])
        self.naming_before = re.compile(
            r"\b(?:"
            + "|".join(re.escape(w) for w in sorted(actor["naming_nouns"]))
            + r"),?\s+(?:(?:"
            + "|".join(re.escape(w) for w in sorted(actor["naming_verbs"], key=len, reverse=True))
            + r")\s+)?[\"“'‘]?$",
            re.IGNORECASE,
        )
        # a name introduced by a naming verb alone ("a threat actor we have dubbed X", "tracked
        # under the codename X"), and whether a malware word says what was so named ("a new
        # ransomware strain dubbed X": a strain, not an actor)
        introducing = "|".join(
            re.escape(w) for w in sorted(actor["introducing_verbs"], key=len, reverse=True)
        )
        self.introduced_before = re.compile(r"\b(?:" + introducing + r")\s+[\"“'‘]?$", re.IGNORECASE)
        self.malware_introduced = re.compile(
            r"\b(?:"
            + "|".join(re.escape(w) for w in sorted(actor["malware_nouns"]))
            + r")\s+(?:\w+\s+){0,3}?(?:"
            + introducing
            + r")\s+[\"“'‘]?$",
            re.IGNORECASE,
        )
        self._hedged: dict[int, bool] = {}

    def hedged(self, sent: Span) -> bool:
        """is_hedged, once per sentence of the document being described."""
        if sent.start not in self._hedged:
            self._hedged[sent.start] = is_hedged(sent)
        return self._hedged[sent.start]

    # -- the document ------------------------------------------------------------------------
    def extract(self, doc: Doc, analysis: DocAnalysis) -> DocFeatures:
        self._hedged.clear()
        info = doc_info(doc)
        t_end = int(doc._.title_end or 0) if Doc.has_extension("title_end") else 0
        title = info.text[:t_end]
        sentences = doc.user_data.get(ASSERTED_KEY, [])
        asserted = [text for _start, text, is_title in sentences if not is_title]
        out = DocFeatures(sentences=asserted, title=title)
        starts = frozenset(start for start, _text, _is_title in sentences)
        out.title_asserted = bool(t_end) and 0 in starts
        out.terms = term_counts(title, asserted)
        dense = {
            f"rule:{k}": float(v)
            for k, v in analysis.incident_features.items()
            if isinstance(v, (int, float, bool))
        }
        dense["rule:is_incident"] = float(analysis.is_incident)
        for kind in analysis.type_cues:
            dense[f"rule_type:{kind}"] = 1.0
        dense["rule:victims"] = float(len(analysis.victims))
        dense["rule:agencies"] = float(len(analysis.agencies))
        dense["rule:services"] = float(len(analysis.services_affected))
        dense["n_sents"] = math.log1p(len(info.sents))
        out.dense = dense
        for sent in info.sents:
            if sent.end_char <= t_end:
                continue
            flags = tuple(
                name
                for name, on in (
                    ("hedged", self.hedged(sent)),
                    ("past", is_past(sent)),
                    ("quoted", in_quote(analysis, sent)),
                )
                if on
            )
            out.body.append((sent.start_char, sent.end_char, info.span_text(sent), flags))
            out.asserted.append(sent.start_char in starts)
        clusters = doc.user_data.get(CLUSTERS_KEY) or []
        out.candidates = self.org_candidates(doc, clusters, t_end, analysis)
        out.services = self.service_candidates(doc, analysis, t_end)
        return out

    # -- organisations -----------------------------------------------------------------------
    def org_candidates(self, doc: Doc, clusters: list, t_end: int, analysis: DocAnalysis) -> list[Candidate]:
        info = doc_info(doc)
        body = [s for s in info.sents if s.start_char >= t_end]
        lead_end = body[1].end_char if len(body) > 1 else len(info.text)
        first_body = {s.start: i for i, s in enumerate(body)}
        title = info.text[:t_end]
        result: list[Candidate] = []
        max_mentions = max([len(c.mentions) for c in clusters] or [1])
        ordered = sorted(clusters, key=lambda c: min((m.start for m in c.mentions), default=10**9))
        rule_rank = {id(c): i for i, c in enumerate(sorted(clusters, key=lambda c: -c.score))}
        rule_attackers = set(analysis.attackers)
        rule_agencies = {a.get("name") for a in analysis.agencies}
        references = self.coreference(doc, ordered, t_end)
        related = ownership(doc, ordered)
        lists = coordination(ordered)
        for order, cluster in enumerate(ordered):
            if not cluster.mentions:
                continue
            f: dict[str, float] = {}
            name = cluster.name
            mentions = cluster.mentions
            n = len(mentions)
            f[f"role:{cluster.role}"] = 1.0
            f["mentions"] = math.log1p(n)
            f["mentions_rel"] = n / max_mentions
            f["order"] = 1.0 / (1 + order)
            f["rule_rank"] = 1.0 / (1 + rule_rank[id(cluster)])
            f["rule_score"] = rule_scale(cluster.score)
            f["rule_strong"] = min(cluster.strong, 10.0) / 10
            f["rule_negative"] = min(cluster.negative, 10.0) / 10
            f["rule_victim"] = float(cluster.role == "victim")
            f["rule_attacker"] = float(name in rule_attackers)
            f["rule_agency"] = float(name in rule_agencies)
            total_labels = sum(cluster.labels.values()) or 1
            for label, count in cluster.labels.items():
                f[f"label:{label}"] = count / total_labels
            in_title = bool(title) and any(form_in(form, title) for form in cluster.forms)
            f["in_title"] = float(in_title)
            f["in_lead"] = float(any(t_end <= m.start_char < lead_end for m in mentions))
            first = min((first_body.get(info.sent(m).start, 99) for m in mentions), default=99)
            f["first_sentence"] = 1.0 / (1 + first)
            for ev in cluster.evidence:
                kind = cue_kind(ev)
                if kind in {
                    "title",
                    "title-partial",
                    "title-finder",
                    "title-source",
                    "lead",
                    "descriptor",
                    "publisher",
                    "not-an-organisation",
                } or kind.startswith("anaphora"):
                    f[f"ev:{kind.split(':')[0]}"] = 1.0
            lower = name.lower()
            f["publisher"] = float(lower in self.publishers or f"the {lower}" in self.publishers)
            entries = self.gazetteer.lookup(name)
            kinds = {(e.label, (e.kind or "").lower()) for e in entries}
            for label, kind in kinds:
                f[f"gaz:{label}"] = 1.0
                if label == THREAT_ACTOR:
                    f[f"actor_kind:{'malware' if kind in MALWARE_KINDS else kind or 'actor'}"] = 1.0
                if label == AGENCY and kind:
                    f[f"agency_kind:{kind}"] = 1.0
            f["country_name"] = float(bool(country_code(name)))
            name_words = {w.lower() for w in re.findall(r"[A-Za-z]+", name)}
            f["agency_word"] = float(bool(name_words & AGENCY_WORDS))
            f["acronym"] = float(name.isupper() and len(name) <= 6)
            f["n_words"] = min(len(name.split()), 6) / 6
            f["has_digit"] = float(any(ch.isdigit() for ch in name))
            f["domain"] = float(bool(re.search(r"\.(?:com|net|org|io)\b", lower)))
            self.name_features(name, cluster.forms, name_words, f)
            self.reference_features(doc, references.get(id(cluster), []), f)
            for relation, other in related.get(id(cluster), []):
                # "X, the parent of Y", "Y, owned by X", "X's Y brand": what the text says of the
                # other one is evidence about this one (a brand of a hit group, a hit brand's owner)
                f[f"rel:{relation}"] = 1.0
                f["rel_rule_score"] = max(f.get("rel_rule_score", -1.0), rule_scale(other.score))
                f["rel_rule_victim"] = max(f.get("rel_rule_victim", 0.0), float(other.role == "victim"))
            partners = lists.get(id(cluster), [])
            if partners:
                # named in one list with others ("A, B and C were hit"): what the text says of
                # the others is evidence about this one
                f["list_partners"] = math.log1p(len(partners))
                f["list_partner_score"] = max(rule_scale(o.score) for o in partners)
                f["list_partner_victim"] = float(any(o.role == "victim" for o in partners))
            self.mention_features(doc, cluster, f, t_end, analysis)
            self.victim_features(doc, cluster, f, t_end)
            # a malware or ransomware name the text never describes as an actor (no claim, no
            # group word, no attack verb of its own): a strain, not who did it
            malware = any(k in MALWARE_KINDS for _label, k in kinds)
            acting = sum(f.get(f"actor:{k}", 0.0) for k in (STRAIN_ACTING_CUES if malware else ACTING_CUES))
            if (malware or any(k == "ransomware" for _label, k in kinds)) and not acting:
                f["strain_only"] = 1.0
            f["person_label"] = float(cluster.labels.get("PERSON", 0) > 0)
            if acting:
                # said to act, by a name the gazetteer does not list (a person charged, a group
                # claiming it): the gazetteer's actors are most of the labelled actors, so these
                # need their own weight
                if not any(label == THREAT_ACTOR for label, _kind in kinds):
                    f["acting_unlisted"] = 1.0
                if f["person_label"] or cluster.role == "person":
                    f["acting_person"] = 1.0
            sentence = ""
            for m in mentions:
                if m.start_char >= t_end:
                    sentence = info.span_text(info.sent(m)).strip()[:600]
                    break
            country = None
            for e in entries:
                if e.country:
                    country = e.country
                    break
            result.append(
                Candidate(
                    name,
                    sorted(cluster.forms),
                    cluster.role,
                    f,
                    sentence,
                    country,
                    written_name(name, cluster.forms),
                )
            )
        self.same_kind(result)
        # countries can be the state an attack is attributed to ("North Korea")
        taken = {c.name.lower() for c in result}
        states: dict[str, list[Span]] = {}
        for ent in info.ents:
            if ent.label_ in {"GPE", "NORP"} and country_code(ent.text) and ent.start_char >= t_end:
                key = clean_name(ent.text)
                if key.lower() not in taken:
                    states.setdefault(country_code(ent.text), []).append(ent)
        for code, ents in sorted(states.items()):
            f = {
                "role:country": 1.0,
                "mentions": math.log1p(len(ents)),
                "country_name": 1.0,
                f"label:{ents[0].label_}": 1.0,
            }
            self.mention_features(doc, None, f, t_end, analysis, ents)
            if f.get("acting_kinds"):
                f["acting_state"] = 1.0  # "Russia is behind the hacking", "North Korean hackers"
            # the state as named ("North Korea", also when the text only says "North Korean")
            name = max((e.text for e in ents if e.label_ == "GPE"), key=len, default=None)
            name = clean_name(name) if name else country_name(code) or clean_name(ents[0].text)
            result.append(
                Candidate(
                    name,
                    sorted({e.text for e in ents}),
                    "country",
                    f,
                    info.span_text(info.sent(ents[0])).strip()[:600],
                    code,
                    name,
                )
            )
        return result

    def name_features(self, name: str, forms: Counter, name_words: set[str], f: dict[str, float]) -> None:
        """What the name itself says: a job title in it ("CEO Steve Long", "Michiana CEO" are
        people or cut-up phrases), a country before it ("Romanian Police"), agency words one by
        one, an agency's head word last ("... Task Force", "... Integration Center") or first
        ("Department of ..."), a one-word name that ends a longer form (a surname: "Long" of
        "Steve Long"; an organisation's short form is its first word), a lower-case or
        comma-joined name (a phrase, not a name)."""
        total = sum(forms.values()) or 1
        titled = 0
        for form, count in forms.items():
            parts = [w.lower().strip(".,") for w in form.split()]
            if len(parts) > 1 and (parts[0] in TITLES or parts[-1] in TITLES):
                titled += count
        f["name_title"] = titled / total
        words_ = name.split()
        f["name_lower"] = float(name[:1].islower())
        f["name_comma"] = float("," in name or "/" in name)
        f["name_country_prefix"] = float(len(words_) > 1 and bool(country_code(words_[0].strip(".,"))))
        for word in sorted(name_words & AGENCY_WORDS):
            f[f"aword:{word}"] = 1.0
        lowered = [w.lower() for w in re.findall(r"[A-Za-z]+", name)]
        if len(lowered) > 1 and lowered[-1] in self.candidate_words["agency_heads"]:
            f["agency_head"] = 1.0
        if (
            len(lowered) > 2
            and lowered[0] in self.candidate_words["agency_first"]
            and lowered[1] in {"of", "for"}
        ):
            f["agency_of"] = 1.0
        if len(words_) == 1 and any(
            len(form.split()) > 1 and form.split()[-1] == name and form.split()[0][:1].isupper()
            for form in forms
        ):
            f["surname_form"] = 1.0

    def coreference(self, doc: Doc, clusters: list, t_end: int) -> dict[int, list[Token]]:
        """ "the company", "the hospital", "the city": each definite noun phrase with such a
        head, resolved to the nearest organisation named before it that the noun can describe
        (data/nlp/cues.toml [coreference]); id(cluster) -> the head tokens that refer to it."""
        info = doc_info(doc)
        anchors: list[tuple[int, int]] = []  # (mention start, index of the cluster)
        for index, cluster in enumerate(clusters):
            if cluster.role in {"person", "attacker"}:
                continue
            for m in cluster.mentions:
                anchors.append((m.start, index))
        if not anchors:
            return {}
        anchors.sort()
        starts = [a for a, _ in anchors]
        kinds = [self.cluster_kind(c) for c in clusters]
        out: dict[int, list[Token]] = {}
        for i in info.where(0, len(doc), self.coref_ids):
            token = doc[int(i)]
            if token.idx < t_end or token.ent_type_ or token.pos_ == "PROPN" or token.dep_ == "compound":
                continue
            if not any(c.dep_ == "det" and c.lower_ in {"the", "this", "that"} for c in token.children):
                continue
            wanted = self.coref_typed.get(token.lower_)
            position = bisect.bisect_left(starts, token.i)
            for back in range(position - 1, max(position - 40, -1), -1):
                index = anchors[back][1]
                words_, is_place, is_agency, is_org = kinds[index]
                if wanted is None:
                    ok = is_org
                else:
                    ok = (
                        bool(words_ & wanted)
                        or ("gpe" in wanted and is_place)
                        or ("agency_role" in wanted and is_agency)
                    )
                if ok:
                    out.setdefault(id(clusters[index]), []).append(token)
                    break
        return out

    @staticmethod
    def cluster_kind(cluster) -> tuple[set[str], bool, bool, bool]:
        """(name words, is a place, is an agency, is a company-like organisation) of a cluster."""
        words_ = {w.lower() for form in cluster.forms for w in re.findall(r"[A-Za-z]+", form)}
        labels = cluster.labels
        top = labels.most_common(1)[0][0] if labels else ""
        is_place = top in {"GPE", "LOC"}
        is_agency = cluster.role == "agency"
        is_org = not is_agency and not is_place and top not in {"PERSON", "NORP", "DATE", "WORK_OF_ART"}
        return words_, is_place, is_agency, is_org

    def reference_features(self, doc: Doc, tokens: list[Token], f: dict[str, float]) -> None:
        """The evidence of "the company" references resolved to this candidate: how many, and
        the rule cues of each (subject of "was hit", owner of "systems", ...)."""
        if not tokens:
            return
        info = doc_info(doc)
        f["coref"] = math.log1p(len(tokens))
        total = 0.0
        for token in tokens[:12]:
            if self.roles is None:
                break
            value, why = self.roles.victim_cue(doc[token.i : token.i + 1], named=False)
            if not value:
                continue
            key = f"coref_cue:{cue_kind(why)}"
            f[key] = f.get(key, 0.0) + 1.0 / len(tokens[:12])
            total += value * (0.4 if value > 0 and is_past(info.sent(token)) else 1.0)
        f["coref_cue_total"] = max(min(total, 12.0), -12.0) / 12

    def actor_cue(self, doc: Doc, mention: Span, token: Token, before: str) -> list[str]:
        """What the grammar says of a mention as a threat actor: arrested or charged, claimed
        it, did it (subject of "hacked", agent of "was hacked by"), had it attributed to it,
        is introduced as a hacker's name, or is followed by a malware or a group word."""
        actor = self.actor
        out = []
        dep, head = token.dep_, token.head
        lower = head.lower_
        if lower in actor["legal_verbs"] and dep in {"nsubjpass", "dobj", "obj", "nsubj"}:
            out.append("legal")
        if dep == "nsubj" and lower in actor["claim_verbs"]:
            if any(c.lower_ in {"responsibility", "credit"} for c in head.subtree) or any(
                c.dep_ == "ccomp" for c in head.children
            ):
                out.append("claimed")
        if dep == "nsubj" and lower in actor["attack_verbs"]:
            out.append("attack_subject")
        if dep == "nsubj" and any(c.dep_ == "prep" and c.lower_ == "behind" for c in head.children):
            out.append("behind")
        if dep == "pobj":
            governor = head.head
            if head.lower_ in {"to", "on", "with"} and governor.lower_ in actor["attribution_verbs"]:
                out.append("attributed")
            if head.lower_ == "by" and (
                governor.lower_ in actor["attack_verbs"] or governor.lower_ in actor["claim_verbs"]
            ):
                out.append("attack_agent")
        if dep in {"dobj", "obj"} and lower in {"blamed", "blame", "blames", "accused", "accuse", "accuses"}:
            out.append("attributed")
        root = mention.root
        group_nouns = actor["group_nouns"]
        if self.naming_before.search(before) or (
            # "Shamoon, a loosely defined hacking group"; "the group, X"
            any(c.dep_ == "appos" and c.lower_ in group_nouns for c in root.children)
            or (root.dep_ == "appos" and root.head.lower_ in group_nouns)
        ):
            out.append("named")
        elif self.introduced_before.search(before):
            out.append("malware_introduced" if self.malware_introduced.search(before) else "introduced")
        following = doc[mention.end] if mention.end < len(doc) else None
        # the word can be inside a threat actor's gazetteer alias ("SamSam ransomware", "Lazarus
        # Group"); a company's name ending in "Group" says nothing of an actor
        last = mention[-1].lower_ if len(mention) > 1 and mention.label_ == THREAT_ACTOR else ""
        if last in actor["malware_nouns"] or (
            following is not None and following.lower_ in actor["malware_nouns"]
        ):
            out.append("malware_after")
        if last in actor["group_nouns"] or (
            following is not None and following.lower_ in actor["group_nouns"]
        ):
            out.append("group_after")
        previous = doc[mention.start - 1] if mention.start > 0 else None
        if previous is not None and previous.lower_ in actor["malware_nouns"]:
            out.append("malware_before")
        if self.aged(doc, mention):
            out.append("aged")
        return out

    @staticmethod
    def aged(doc: Doc, mention: Span) -> bool:
        """A person given an age ("45-year-old Giulio Occhionero", "Osariemen Isibor, 32,"):
        how crime news names the people arrested or charged."""
        start, end = mention.start, mention.end
        if (
            start >= 2
            and doc[start - 1].lower_ == "old"
            and any("year" in t.lower_ for t in doc[max(start - 4, 0) : start - 1])
        ):
            return True
        return (
            end + 2 < len(doc)
            and doc[end].text == ","
            and doc[end + 1].text.isdigit()
            and 12 < int(doc[end + 1].text) < 100
            and doc[end + 2].text in {",", ")"}
        )

    def mention_features(
        self,
        doc: Doc,
        cluster,
        f: dict[str, float],
        t_end: int,
        analysis: DocAnalysis,
        spans: list[Span] | None = None,
    ) -> None:
        """Grammar and context of each mention, averaged over the mentions (rule cues summed);
        an actor cue also as said at all (`actor_any:`)."""
        info = doc_info(doc)
        mentions = spans if spans is not None else cluster.mentions
        body = body_mentions(mentions, t_end)
        if not body:
            return
        acc: dict[str, float] = {}
        cue_total = 0.0
        for m in body:
            one: dict[str, float] = {}  # this mention's features (binary)
            sent = info.sent(m)
            past = is_past(sent)
            cue = cluster.cues.get(m.start) if cluster is not None else None
            if cue is None and self.roles is not None:
                cue = self.roles.victim_cue(m)
            if cue is not None:
                value, why = cue
                if value:
                    one[f"cue:{cue_kind(why)}"] = 1.0
                    cue_total += value * (0.4 if past and value > 0 else 1.0)
            token = governing_token(m)
            head = token.head
            before = info.text[max(sent.start_char, m.start_char - 60) : m.start_char]
            for kind in self.actor_cue(doc, m, token, before):
                one[f"actor:{kind}"] = 1.0
            following = doc[m.end] if m.end < len(doc) else None
            if (
                following is not None
                and following.text == "-"
                and not following.whitespace_
                and m.end + 1 < len(doc)
            ):
                following = doc[m.end + 1]  # the parser split "PayPal-themed" at its hyphen
            if self.impersonation_before.search(before) or (
                following is not None and following.lower_ in self.impersonation_after
            ):
                one["impersonated"] = 1.0
            one[f"dep:{token.dep_}"] = 1.0
            one[f"head:{head.lower_}"] = 1.0
            if token.dep_ == "pobj":
                one[f"prep:{head.head.lower_}_{head.lower_}"] = 1.0
            for w in doc[max(sent.start, m.start - 3) : m.start]:
                if w.is_alpha:
                    one[f"left:{w.lower_}"] = 1.0
            for w in doc[m.end : min(sent.end, m.end + 3)]:
                if w.is_alpha or w.text in {"'s", "’s"}:
                    one[f"right:{w.lower_}"] = 1.0
            prev = doc[m.start - 1] if m.start > 0 else None
            if prev is not None and prev.lower_.strip(".") in TITLES:
                one["job_title"] = 1.0
            if past:
                one["past"] = 1.0
            if self.hedged(sent):
                one["hedged"] = 1.0
            if info.has_any(sent, self.incident_ids):
                one["incident_sentence"] = 1.0
            if info.has_any(sent, self.statistics_ids) and any(is_figure(t) for t in sent):
                # "according to the FBI's 2017 report, it received 1,783 complaints": cited for
                # figures, not involved in this incident
                one["statistics_sentence"] = 1.0
            if in_quote(analysis, m):
                one["quoted"] = 1.0
            for key in one:
                acc[key] = acc.get(key, 0.0) + 1.0
        n = len(body)
        for key, value in acc.items():
            f[key] = value / n
            if key == "statistics_sentence" and value == n:
                f["statistics_only"] = 1.0  # named only where the text cites figures
            if key.startswith("actor:"):
                # said once is enough to make an actor ("X was arrested", "X claimed it"), however
                # often the text names it besides: the share of mentions dilutes that
                f["actor_any:" + key[6:]] = 1.0
        acting = sum(1 for kind in ACTING_CUES if acc.get(f"actor:{kind}"))
        if acting:
            f["acting_kinds"] = acting / ACTING_KINDS_SCALE
        f["cue_total"] = max(min(cue_total, 12.0), -12.0) / 12

    def victim_features(self, doc: Doc, cluster, f: dict[str, float], t_end: int) -> None:
        """Features only the victim ranker reads (prefix VICTIM_ONLY), each as said of the name
        at all, however often it is named besides: a rule cue of each kind, a job title in the
        name or right after it ("Tim Bubb, commissioner": a person), a platform or product
        name first ("Google AdWords": `[candidates] platforms`), whether a verb governs a
        mention (not only a list or a heading) and whether its clause tells of the name being
        hit ("Merck reported being infected", "X suffered a breach")."""
        for key in [k for k in f if k.startswith("cue:")]:
            f[VICTIM_ONLY + "any:" + key] = 1.0
        if f.get("name_title"):
            f[VICTIM_ONLY + "name_title_any"] = 1.0
        singles = {form for form in cluster.forms if len(form.split()) == 1}
        for form in cluster.forms:
            written = form.split()
            if (
                2 <= len(written) <= 3
                and written[-1] in singles
                and written[0] not in singles
                and all(w[:1].isupper() for w in written)
            ):
                # "Casundra Venable" and "Venable": a person's surname is the short form (an
                # organisation's is its first word: "Hancock" of "Hancock Health")
                f[VICTIM_ONLY + "surname_short"] = 1.0
            parts = [w.lower().strip(".,") for w in form.split()]
            if len(parts) > 1 and parts[0] in TITLES:
                f[VICTIM_ONLY + "title_first"] = 1.0  # "CEO Steve Long", "Mayor Bottoms": a person
            if len(parts) > 1 and parts[-1] in TITLES:
                f[VICTIM_ONLY + "title_last"] = 1.0  # "Hancock Health CEO": the employer's name before it
        name_words = re.findall(r"[a-z0-9]+", cluster.name.lower())
        if name_words and name_words[0] in self.platforms:
            f[VICTIM_ONLY + "platform"] = 1.0
            f[VICTIM_ONLY + ("platform_whole" if len(name_words) == 1 else "platform_part")] = 1.0
        body = body_mentions(cluster.mentions, t_end)
        if not body:
            return
        info = doc_info(doc)
        for m in body:
            sent = info.sent(m)
            token = governing_token(m)
            if self.titled_after(doc, m, sent):
                f[VICTIM_ONLY + "title_after"] = 1.0
            verb = token
            for _ in range(4):
                if verb.pos_ in {"VERB", "AUX"} or verb.head is verb:
                    break
                verb = verb.head
            if verb.pos_ in {"VERB", "AUX"}:
                f[VICTIM_ONLY + "governed"] = 1.0  # a verb within four heads of a mention
                if self.victim_clause(verb) or any(
                    c.dep_ in {"xcomp", "ccomp", "conj", "advcl"} and self.victim_clause(c)
                    for c in verb.children
                ):
                    f[VICTIM_ONLY + "gov_victim"] = 1.0

    def name_kind(self, name: str) -> str | None:
        """What kind of name this is, by its shape: a domain's ending (".com"), "ministry of"
        ("Ministry of Energy"), else the last of two or more words ("Trust", "Airport")."""
        lower = name.lower()
        domain = self.kind_domain.search(lower)
        if domain:
            return "." + domain.group(1)
        words_ = re.findall(r"[a-z]+", lower)
        if len(words_) < 2:
            return None
        if words_[0] in self.kind_first and words_[1] == "of":
            return words_[0] + " of"
        return words_[-1]

    def same_kind(self, candidates: list[Candidate]) -> None:
        """Victim-only features from the other names of the same kind in the article (a
        roundup of hit ".com" sites, ministries, hospital trusts, airports): how many, their
        best rule score, whether the rules took one of them as the victim. Each candidate
        keeps its kind (`Candidate.kind`: the victim ranker takes more of a chosen one's kind)."""
        kinds: dict[str, list[Candidate]] = {}
        for candidate in candidates:
            kind = candidate.kind = self.name_kind(candidate.name)
            if kind:
                kinds.setdefault(kind, []).append(candidate)
        for group in kinds.values():
            for candidate in group if len(group) > 1 else ():
                others = [o for o in group if o is not candidate]
                f = candidate.features
                f[VICTIM_ONLY + "same_kind"] = math.log1p(len(others))
                f[VICTIM_ONLY + "same_kind_score"] = max(o.features.get("rule_score", 0.0) for o in others)
                if any(o.role == "victim" for o in others):
                    f[VICTIM_ONLY + "same_kind_victim"] = 1.0

    def victim_clause(self, verb: Token) -> bool:
        """A clause that tells of its subject (or object) being hit: a victim verb ("was
        hacked", "being infected"), or a verb of suffering or telling with an incident noun as
        its object ("suffered a breach", "reported an incident")."""
        if verb.lower_ in self.victim_verbs:  # the pipeline has no lemmatizer: word forms
            return verb.pos_ in {"VERB", "AUX"}
        if verb.lower_ in self.subject_verbs:
            return any(
                c.dep_ in {"dobj", "obj", "attr"} and c.lower_ in self.incident_nouns for c in verb.children
            )
        return False

    @staticmethod
    def titled_after(doc: Doc, mention: Span, sent: Span) -> bool:
        """A job title right after the name ("Tim Bubb, commissioner", "Jane Roe, the CEO of
        ..."), or as its apposition: a person, not an organisation."""
        if any(c.dep_ == "appos" and c.lower_ in TITLES for c in mention.root.children):
            return True
        if mention.end + 1 >= sent.end or doc[mention.end].text != ",":
            return False
        after = [
            t
            for t in doc[mention.end + 1 : min(sent.end, mention.end + 4)]
            if t.lower_ not in {"the", "a", "an"}
        ]
        return bool(after) and after[0].lower_.strip(".") in TITLES

    # -- services ----------------------------------------------------------------------------
    def service_candidates(self, doc: Doc, analysis: DocAnalysis, t_end: int) -> list[ServiceCandidate]:
        info = doc_info(doc)
        rule = set(analysis.services_affected)
        victim_forms = [v.lower() for v in analysis.victim_forms]
        result: list[ServiceCandidate] = []
        seen: set[str] = set()
        roots: dict[str, int] = {}
        body_position = 0
        for sent in info.sents:
            in_title = sent.start_char < t_end
            position = 0 if in_title else body_position
            if not in_title:
                body_position += 1
            text = info.span_text(sent)
            lower = text.lower()
            cue_at = {
                s: [sent.start_char + m.start() for m in p.finditer(lower)]
                for s, p in self.status_patterns.items()
            }
            statuses = [s for s, at in cue_at.items() if at]
            incident = info.has_any(sent, self.incident_ids)
            if not statuses and not incident and not info.has_any(sent, self.service_verb_ids):
                continue
            hedged, past = self.hedged(sent), is_past(sent)
            for chunk in info.chunks(sent):
                root = chunk.root
                if root.pos_ in {"PROPN", "PRON"}:
                    continue
                head_word = root.lower_
                if chunk.end + 1 < sent.end and doc[chunk.end].text == "-" and doc[chunk.end + 1].is_alpha:
                    chunk = doc[chunk.start : chunk.end + 2]  # the parser split "e-mail" at its hyphen
                    head_word = chunk[-1].lower_
                governor = root.head
                governed = root.dep_ in {"nsubj", "nsubjpass", "dobj", "obj"} and (
                    governor.lower_ in self.service_verbs
                    or any(c.dep_ == "xcomp" and c.lower_ in self.service_verbs for c in governor.children)
                )
                if head_word in self.service_not_heads or (
                    head_word not in self.service_heads and not (governed and root.pos_ == "NOUN")
                ):
                    continue
                tokens = [
                    t
                    for t in chunk
                    if (t.pos_ not in {"DET", "PRON", "PUNCT"} or t.text in {"-", "/"})
                    and t.dep_ not in {"poss", "case"}
                ]
                while tokens and tokens[0].text in {"-", "/"}:
                    tokens = tokens[1:]
                while (
                    tokens
                    and tokens[0].pos_ in {"ADJ", "ADV", "NUM"}
                    and tokens[0].lower_ in self.service_drop_first
                ):
                    tokens = tokens[1:]
                if not tokens or len(tokens) > self.service_max_words:
                    continue
                # the words as written ("office e-mail", "311 Web site portal"), lower-cased but acronyms
                name = "".join(
                    (t.text if t.text.isupper() and len(t.text) > 1 else t.lower_)
                    + (t.whitespace_ if i + 1 < len(tokens) and tokens[i + 1].i == t.i + 1 else " ")
                    for i, t in enumerate(tokens)
                ).strip()
                key = name
                f: dict[str, float] = {
                    f"root:{head_word}": 1.0,
                    "n_words": len(tokens) / 5,
                    f"dep:{root.dep_}": 1.0,
                    f"head:{root.head.lower_}": 1.0,
                    "rule_service": float(any(r in name or name in r for r in rule)),
                }
                if name in self.service_generic:
                    f["bare_generic"] = 1.0
                if any(c.isdigit() for c in name):
                    f["counted"] = 1.0  # "7,000 systems", "2,100 outpatient appointments": an impact told
                if in_title:
                    f["in_title"] = 1.0
                if governed:
                    f["governed"] = 1.0
                if head_word not in self.service_heads:
                    f["other_head"] = 1.0
                for s in statuses:
                    f[f"status:{s}"] = 1.0
                    gap = min(
                        max(chunk.start_char - at, at - chunk.end_char, 0) for at in cue_at[s]
                    )  # characters between the phrase and the nearest cue of this status
                    if gap <= self.service_near_chars:
                        f[f"status_near:{s}"] = 1.0
                        f["status_near"] = 1.0
                span = self.service_window
                window = doc[max(sent.start, chunk.start - span) : min(sent.end, chunk.end + span)]
                if any(t.lower_ in self.impact_words for t in window):
                    f["impact_near"] = 1.0
                f["sentence_position"] = 1.0 / (1 + position)
                roots[head_word] = roots.get(head_word, 0) + 1
                f["incident_sentence"] = float(incident)
                f["hedged"] = float(hedged)
                f["past"] = float(past)
                f["victim_in_sentence"] = float(any(v in lower for v in victim_forms))
                f["own"] = float(any(t.dep_ == "poss" and t.lower_ in {"its", "our", "their"} for t in chunk))
                f["quoted"] = float(in_quote(analysis, chunk))
                for t in tokens[:-1]:
                    f[f"mod:{t.lower_}"] = 1.0
                head = root.head
                if root.dep_ == "pobj":
                    f[f"prep:{head.head.lower_}_{head.lower_}"] = 1.0
                for w in doc[max(sent.start, root.i - span) : min(sent.end, root.i + span + 1)]:
                    if w.is_alpha and not (chunk.start <= w.i < chunk.end):
                        f[f"near:{w.lower_}"] = 1.0
                f["attack_word"] = float(
                    any(
                        t.lower_
                        in {"ransomware", "malware", "phishing", "attackers", "hackers", "spam", "fake"}
                        for t in tokens
                    )
                )
                if key in seen:
                    f["repeat"] = 1.0
                seen.add(key)
                result.append(ServiceCandidate(name, f, text.strip()[:600]))
        for candidate in result:  # how often the article names things of this kind
            root = next((k.split(":", 1)[1] for k in candidate.features if k.startswith("root:")), "")
            candidate.features["root_mentions"] = math.log1p(roots.get(root, 0))
        # the rule finder's own phrases ("export mail" of "any export mail items"), as it found them
        names = {c.name for c in result}
        for service in analysis.services:
            name, status = service["service"], service["status"]
            if status == "unaffected" or name in names:
                continue
            names.add(name)
            words_ = name.split()
            result.append(
                ServiceCandidate(
                    name,
                    {
                        "rule_service": 1.0,
                        "rule_phrase": 1.0,
                        f"status:{status}": 1.0,
                        # the rule finder gave the phrase the status cue nearest it in its clause
                        f"status_near:{status}": 1.0,
                        "status_near": 1.0,
                        f"root:{words_[-1].lower()}": 1.0,
                        "n_words": min(len(words_), 5) / 5,
                    },
                    service["sentence"],
                )
            )
        service_context(result)
        return result


# What a service candidate's other mentions say of it, read as features of each mention (a
# phrase the article repeats is chosen once: its best mention should know them all).
SERVICE_MENTION_FLAGS = ("status_near", "impact_near", "governed", "in_title")


def service_context(candidates: list[ServiceCandidate]) -> None:
    """Features of each service candidate from the article's other mentions of the same
    phrase: how often it names it and what any of those mentions says of it (`name_any:`).
    (Article-wide features, the rule cues' types and the count of candidates with a status
    cue near, cross-validated lower: 0.475 against 0.481 without them.)"""
    by_name: dict[str, list[dict[str, float]]] = {}
    for candidate in candidates:
        by_name.setdefault(candidate.name, []).append(candidate.features)
    for candidate in candidates:
        mentions = by_name[candidate.name]
        extra = {"name_mentions": math.log1p(len(mentions))}
        for flag in SERVICE_MENTION_FLAGS:
            if any(m.get(flag) for m in mentions):
                extra[f"name_any:{flag}"] = 1.0
        candidate.features.update(extra)


# Text between two names that says the first owns the second ("X, the parent of Y", "X,
# which owns Y", "X brands such as Y") or the second owns the first ("Y, a subsidiary of X",
# "Y, owned by X"); "X's Y brand" is read from the possessive and the word after Y.
OWNS_NEXT = re.compile(
    r"^\s*,?\s*(?:(?:the|its)\s+)?(?:parent(?:\s+company)?|owner|operator)\s+of\s+(?:the\s+)?$"
    r"|^\s*,?\s*(?:which|that|who)\s+(?:also\s+)?(?:owns?|operates?|runs?)\s+(?:the\s+)?$"
    r"|^\s*(?:'s|’s)?\s*(?:\w+\s+)?(?:brands?|subsidiar(?:y|ies)|units?|divisions?|chains?|properties)"
    r"\s*,?\s*(?:such as|including|like|among them|namely)?\s*$",
    re.IGNORECASE,
)
OWNED_BY_NEXT = re.compile(
    r"^\s*,?\s*(?:which\s+is\s+|a\s+|an\s+|the\s+)?(?:(?:wholly[- ]owned|\w+)\s+)?"
    r"(?:subsidiary|unit|division|brand|arm|part|affiliate|member)\s+of\s+(?:the\s+)?$"
    r"|^\s*,?\s*(?:which\s+is\s+)?(?:owned|operated|run|acquired)\s+by\s+(?:the\s+)?$",
    re.IGNORECASE,
)
BRAND_AFTER = {"brand", "brands", "subsidiary", "unit", "division", "chain", "business"}


def ownership(doc: Doc, clusters: list) -> dict[int, list[tuple[str, object]]]:
    """Parent and brand links the text states between two clusters in one sentence:
    id(cluster) -> [("parent" | "brand", the other cluster)]."""
    info = doc_info(doc)
    by_sentence: dict[int, list[tuple[Span, object]]] = {}
    for cluster in clusters:
        if cluster.role in {"person", "attacker", "agency"}:
            continue
        for m in cluster.mentions:
            by_sentence.setdefault(info.sent(m).start, []).append((m, cluster))
    out: dict[int, list[tuple[str, object]]] = {}

    def link(parent, brand) -> None:
        if parent is not brand:
            out.setdefault(id(parent), []).append(("parent", brand))
            out.setdefault(id(brand), []).append(("brand", parent))

    for mentions in by_sentence.values():
        if len(mentions) < 2:
            continue
        mentions.sort(key=lambda item: item[0].start)
        for (a, ca), (b, cb) in zip(mentions, mentions[1:]):
            between = info.text[a.end_char : b.start_char]
            if len(between) > 60:
                continue
            after = doc[b.end].lower_ if b.end < len(doc) else ""
            if OWNS_NEXT.match(between) or (between.strip() in {"'s", "’s"} and after in BRAND_AFTER):
                link(ca, cb)
            elif OWNED_BY_NEXT.match(between):
                link(cb, ca)
    return out


def coordination(clusters: list) -> dict[int, list]:
    """Clusters named as conjuncts of one another ("A, B and C were hit"): id(cluster) -> the others."""
    owner: dict[int, object] = {}
    for cluster in clusters:
        for m in cluster.mentions:
            owner.setdefault(m.root.i, cluster)
    out: dict[int, list] = {}
    for cluster in clusters:
        others: dict[int, object] = {}
        for m in cluster.mentions:
            for token in m.root.conjuncts:
                other = owner.get(token.i)
                if other is not None and other is not cluster:
                    others.setdefault(id(other), other)
        if others:
            out[id(cluster)] = list(others.values())
    return out


def is_figure(token: Token) -> bool:
    """A number that is not a year ("1,783", "40%", "two million")."""
    text = token.text
    return token.like_num and not (len(text) == 4 and text.isdigit() and 1900 < int(text) < 2100)


def in_quote(analysis: DocAnalysis, span: Span) -> bool:
    return any(s <= span.start_char < e for s, e, _speaker in analysis.quote_spans)


def form_in(form: str, text: str) -> bool:
    key = clean_name(form)
    if len(key) < 2:
        return False
    key, text = key.lower(), text.lower()
    start = text.find(key)
    while start >= 0:  # as a whole word (plain search: a pattern per name thrashes the regex cache)
        end = start + len(key)
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        start = text.find(key, start + 1)
    return False


__all__ = [
    "FeatureExtractor",
    "DocFeatures",
    "Candidate",
    "ServiceCandidate",
    "attacker_candidates",
    "CLUSTERS_KEY",
    "ASSERTED_KEY",
    "VICTIM_ONLY",
    "term_counts",
    "sentence_terms",
]
