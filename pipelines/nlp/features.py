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

import math
import re
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from core.countries import country_code
from core.gazetteers import AGENCY, THREAT_ACTOR, load_gazetteer
from core.names import clean_name
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
MALWARE_KINDS = {"malware", "tool", "botnet", "ransomware-strain", "trojan", "wiper", "loader"}


@dataclass
class Candidate:
    """One name the text uses for an organisation, group, person or state."""

    name: str
    forms: list[str]
    role: str  # the rule components' role: victim, agency, attacker, vendor, person, other, country
    features: dict[str, float]
    sentence: str = ""
    country: str | None = None


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
        self.service_heads = set(cues["services"]["heads"]) | {
            "computers",
            "computer",
            "servers",
            "server",
            "network",
            "networks",
            "database",
            "databases",
            "website",
            "websites",
            "files",
            "machines",
            "portal",
            "email",
            "e-mail",
            "phones",
            "systems",
        }
        statuses = ("unaffected", "restored", "suspended", "degraded", "disrupted")
        self.status_patterns = {
            s: re.compile(
                r"(?<![\w-])(?:"
                + "|".join(re.escape(c) for c in sorted(cues["services"][s], key=len, reverse=True))
                + r")(?![\w-])"
            )
            for s in statuses
        }
        self.roles = roles
        self.incident_ids = word_ids(self.incident_words)
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
        asserted = [text for text, is_title in doc.user_data.get(ASSERTED_KEY, []) if not is_title]
        out = DocFeatures(sentences=asserted)
        out.terms = term_counts(title, asserted)
        dense = {
            f"rule:{k}": float(v)
            for k, v in analysis.incident_features.items()
            if isinstance(v, (int, float, bool))
        }
        dense["rule:is_incident"] = float(analysis.is_incident)
        for kind in analysis.incident_types:
            dense[f"rule_type:{kind}"] = 1.0
        dense["rule:victims"] = float(len(analysis.victims))
        dense["rule:agencies"] = float(len(analysis.agencies))
        dense["rule:services"] = float(len(analysis.services_affected))
        dense["n_sents"] = math.log1p(len(info.sents))
        out.dense = dense
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
            f["rule_score"] = max(min(cluster.score, 10.0), -10.0) / 10
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
            self.mention_features(doc, cluster, f, t_end, analysis)
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
            result.append(Candidate(name, sorted(cluster.forms), cluster.role, f, sentence, country))
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
            name = max((e.text for e in ents if e.label_ == "GPE"), key=len, default=ents[0].text)
            result.append(
                Candidate(
                    clean_name(name),
                    sorted({e.text for e in ents}),
                    "country",
                    f,
                    info.span_text(info.sent(ents[0])).strip()[:600],
                    code,
                )
            )
        return result

    def mention_features(
        self,
        doc: Doc,
        cluster,
        f: dict[str, float],
        t_end: int,
        analysis: DocAnalysis,
        spans: list[Span] | None = None,
    ) -> None:
        """Grammar and context of each mention, averaged over the mentions (rule cues summed)."""
        info = doc_info(doc)
        mentions = spans if spans is not None else cluster.mentions
        body = [m for m in mentions if m.start_char >= t_end][:12]
        if not body:
            return
        acc: dict[str, float] = {}
        cue_total = 0.0
        for m in body:
            sent = info.sent(m)
            past = is_past(sent)
            cue = cluster.cues.get(m.start) if cluster is not None else None
            if cue is None and self.roles is not None:
                cue = self.roles.victim_cue(m)
            if cue is not None:
                value, why = cue
                if value:
                    kind = cue_kind(why)
                    acc[f"cue:{kind}"] = acc.get(f"cue:{kind}", 0.0) + 1.0
                    cue_total += value * (0.4 if past and value > 0 else 1.0)
            root = m.root
            token = root
            while token.dep_ in {"conj", "appos", "compound"} and token.head is not token:
                token = token.head
            head = token.head
            acc[f"dep:{token.dep_}"] = acc.get(f"dep:{token.dep_}", 0.0) + 1.0
            acc[f"head:{head.lower_}"] = acc.get(f"head:{head.lower_}", 0.0) + 1.0
            if token.dep_ == "pobj":
                gov = head.head
                acc[f"prep:{gov.lower_}_{head.lower_}"] = (
                    acc.get(f"prep:{gov.lower_}_{head.lower_}", 0.0) + 1.0
                )
            for w in doc[max(sent.start, m.start - 3) : m.start]:
                if w.is_alpha:
                    acc[f"left:{w.lower_}"] = acc.get(f"left:{w.lower_}", 0.0) + 1.0
            for w in doc[m.end : min(sent.end, m.end + 3)]:
                if w.is_alpha or w.text in {"'s", "’s"}:
                    acc[f"right:{w.lower_}"] = acc.get(f"right:{w.lower_}", 0.0) + 1.0
            prev = doc[m.start - 1] if m.start > 0 else None
            if prev is not None and prev.lower_.strip(".") in TITLES:
                acc["job_title"] = acc.get("job_title", 0.0) + 1.0
            if past:
                acc["past"] = acc.get("past", 0.0) + 1.0
            if self.hedged(sent):
                acc["hedged"] = acc.get("hedged", 0.0) + 1.0
            if info.has_any(sent, self.incident_ids):
                acc["incident_sentence"] = acc.get("incident_sentence", 0.0) + 1.0
            if in_quote(analysis, m):
                acc["quoted"] = acc.get("quoted", 0.0) + 1.0
        n = len(body)
        for key, value in acc.items():
            f[key] = value / n
        f["cue_total"] = max(min(cue_total, 12.0), -12.0) / 12

    # -- services ----------------------------------------------------------------------------
    def service_candidates(self, doc: Doc, analysis: DocAnalysis, t_end: int) -> list[ServiceCandidate]:
        info = doc_info(doc)
        rule = set(analysis.services_affected)
        victim_forms = [v.lower() for v in analysis.victim_forms]
        result: list[ServiceCandidate] = []
        seen: set[str] = set()
        for sent in info.sents:
            if sent.start_char < t_end:
                continue
            text = info.span_text(sent)
            lower = text.lower()
            statuses = [s for s, p in self.status_patterns.items() if p.search(lower)]
            incident = info.has_any(sent, self.incident_ids)
            if not statuses and not incident:
                continue
            hedged, past = self.hedged(sent), is_past(sent)
            for chunk in info.chunks(sent):
                root = chunk.root
                if root.lower_ not in self.service_heads or root.pos_ == "PROPN":
                    continue
                tokens = [
                    t
                    for t in chunk
                    if t.pos_ not in {"DET", "PRON", "PUNCT"} and t.dep_ not in {"poss", "case"}
                ]
                while (
                    tokens
                    and tokens[0].pos_ in {"ADJ", "ADV", "NUM"}
                    and tokens[0].lower_
                    in {
                        "some",
                        "many",
                        "all",
                        "other",
                        "several",
                        "affected",
                        "impacted",
                        "its",
                        "their",
                        "own",
                        "the",
                    }
                ):
                    tokens = tokens[1:]
                if not tokens or len(tokens) > 5:
                    continue
                name = " ".join(t.text if t.text.isupper() and len(t.text) > 1 else t.lower_ for t in tokens)
                key = name
                f: dict[str, float] = {
                    f"root:{root.lower_}": 1.0,
                    "n_words": len(tokens) / 5,
                    f"dep:{root.dep_}": 1.0,
                    f"head:{root.head.lower_}": 1.0,
                    "rule_service": float(any(r in name or name in r for r in rule)),
                }
                for s in statuses:
                    f[f"status:{s}"] = 1.0
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
                for w in doc[max(sent.start, root.i - 6) : min(sent.end, root.i + 7)]:
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
                        f"root:{words_[-1].lower()}": 1.0,
                        "n_words": min(len(words_), 5) / 5,
                    },
                    service["sentence"],
                )
            )
        return result


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
    "CLUSTERS_KEY",
    "ASSERTED_KEY",
    "term_counts",
]
