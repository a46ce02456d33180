"""The `incident_gazetteer` component: agencies, threat actors, security vendors, services.

Two PhraseMatchers: short all-capital aliases (NCSC, NCA, FBI) match case-sensitively so
"nca" in running text or "ACE" in a headline do not fire; every other alias matches
case-insensitively. Each match becomes a span in doc.spans["gazetteer"] whose label is the
gazetteer (AGENCY, THREAT_ACTOR, SEC_VENDOR, SERVICE) and whose kb_id is the canonical name,
so every alias maps to one name. An alias shared by several entries (NCSC is British, Dutch,
Swiss, ...) is resolved by the countries the document mentions.
"""

from __future__ import annotations

import re
from collections import Counter

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from core.countries import country_code
from core.gazetteers import AGENCY, SERVICE, THREAT_ACTOR, VENDOR, Entry, load_gazetteer
from pipelines.nlp.cues import load_cues
from pipelines.nlp.guard import guarded
from pipelines.nlp.text import doc_info

SPANS_KEY = "gazetteer"
COUNTRY_LABELS = {"GPE", "NORP", "LOC"}
# Words next to an ambiguous actor name that show it is meant as the actor ("Play ransomware").
ACTOR_CONTEXT = {
    "ransomware",
    "group",
    "gang",
    "hackers",
    "hacker",
    "operators",
    "operator",
    "crew",
    "actors",
    "actor",
    "affiliates",
    "affiliate",
    "apt",
    "malware",
    "cartel",
    "collective",
    "team",
    "syndicate",
    "threat",
    "hacking",
    "botnet",
    "trojan",
    "attackers",
    "variant",
    "strain",
    "hacktivist",
    "hacktivists",
    "activist",
    "activists",
    "movement",
    "organization",
    "organisation",
}


def is_case_sensitive_alias(alias: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", alias)
    return bool(letters) and letters.isupper() and len(alias) <= 6


def doc_countries(doc: Doc) -> Counter:
    """Country codes mentioned by GPE/NORP/LOC entities, with counts."""
    counts: Counter = Counter()
    for ent in doc_info(doc).ents:
        if ent.label_ in COUNTRY_LABELS:
            code = country_code(ent.text)
            if code:
                counts[code] += 1
    return counts


class GazetteerMatcher:
    """Marks gazetteer aliases in the text as spans labelled with their canonical name."""

    def __init__(self, nlp: Language, name: str, gazetteer_dir: str | None, spans_key: str):
        self.name = name
        self.spans_key = spans_key
        self.gazetteer = load_gazetteer(gazetteer_dir)
        actor = load_cues()["actor"]
        self.attack_verbs = frozenset(actor["attack_verbs"]) | frozenset(actor["claim_verbs"])
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.services: dict[str, str] = {}
        exact_patterns: dict[str, list] = {}
        lower_patterns: dict[str, list] = {}
        for key, entries in self.gazetteer.aliases.items():
            surface = self.gazetteer.surface[key]
            if len(surface) < 2:
                continue
            target = exact_patterns if is_case_sensitive_alias(surface) else lower_patterns
            for label in {entry.label for entry in entries}:
                target.setdefault(label, []).append(nlp.make_doc(surface))
        for pattern, service, _category in self.gazetteer.service_patterns:
            if pattern.strip():
                self.services[pattern.lower().strip()] = service
                lower_patterns.setdefault(SERVICE, []).append(nlp.make_doc(pattern.strip()))
        # Canonical names go into the string store now, outside any memory zone: a kb_id added
        # while a zone is open is transient, and reads back as "" in a later zone.
        for entries in self.gazetteer.aliases.values():
            for entry in entries:
                nlp.vocab.strings.add(entry.name)
        for service in set(self.services.values()):
            nlp.vocab.strings.add(service)
        for label, docs in exact_patterns.items():
            self.exact.add(label, docs)
        for label, docs in lower_patterns.items():
            self.lower.add(label, docs)

    @guarded
    def __call__(self, doc: Doc) -> Doc:
        matches = [*self.exact(doc), *self.lower(doc)]
        if not matches:
            doc.spans[self.spans_key] = []
            return doc
        countries = doc_countries(doc)
        lower_text = doc_info(doc).text.lower()
        candidates = []
        pending: list[tuple[Span, Entry, bool]] = []
        confirmed: set[str] = set()
        for match_id, start, end in matches:
            label = doc.vocab.strings[match_id]
            span = doc[start:end]
            if label == SERVICE:
                canonical = self.services.get(re.sub(r"\s+", " ", span.text.lower()))
                if canonical:
                    candidates.append(Span(doc, start, end, label=label, kb_id=canonical))
                continue
            entries = self.gazetteer.lookup(span.text, label)
            if not entries:
                continue
            entry = self.choose(entries, span, countries, lower_text)
            if label != THREAT_ACTOR and span.text.islower() and len(span.text) <= 4:
                continue
            if label in {THREAT_ACTOR, VENDOR} and self.inside_longer_name(span):
                continue
            if label == THREAT_ACTOR and entry.ambiguous:
                if span.text.islower():
                    continue  # "its anonymous operator": the ordinary word, never the actor
                in_context = self.actor_context(span) or self.acting(span)
                if in_context:
                    confirmed.add(entry.name)
                pending.append((span, entry, in_context))
                continue
            if label == THREAT_ACTOR:
                confirmed.add(entry.name)
            candidates.append(Span(doc, start, end, label=label, kb_id=entry.name))
        for span, entry, _in_context in pending:
            if entry.name in confirmed:
                candidates.append(Span(doc, span.start, span.end, label=THREAT_ACTOR, kb_id=entry.name))
        doc.spans[self.spans_key] = filter_spans(candidates)
        return doc

    @staticmethod
    def choose(entries: list[Entry], span: Span, countries: Counter, lower_text: str) -> Entry:
        """The entry an ambiguous alias most likely denotes here: its full name is in the text,
        its country is named in the sentence, or its country dominates the document."""
        if len(entries) == 1:
            return entries[0]
        sentence_countries = {
            country_code(ent.text)
            for ent in doc_info(span.doc).sent_ents(doc_info(span.doc).sent(span))
            if ent.label_ in COUNTRY_LABELS
        }
        total = sum(countries.values()) or 1

        def score(entry: Entry) -> float:
            value = 0.0
            if entry.name.lower() in lower_text and entry.name.lower() != span.text.lower():
                value += 3
            if entry.country and entry.country in sentence_countries:
                value += 2
            if entry.country:
                value += countries.get(entry.country, 0) / total
            if entry.name.lower() == span.text.lower():
                value += 0.5
            if entry.kind and "cyber" in entry.kind.lower():
                value += 0.1  # an acronym like NCSC in security news most often names a cyber agency
            return value

        return max(entries, key=score)

    @staticmethod
    def actor_context(span: Span) -> bool:
        """An ambiguous actor name ("Play", "Royal", "Hive") counts only next to a word that
        makes it the actor: "Play ransomware", "the Hive gang", "Qilin, a ransomware group"."""
        doc = span.doc
        window = list(doc[max(span.start - 1, 0) : span.start]) + list(doc[span.end : span.end + 1])
        if span.end < len(doc) and doc[span.end].text == ",":
            window += list(doc[span.end + 1 : min(span.end + 7, doc_info(doc).sent(span).end)])
        if any(t.lower_ in ACTOR_CONTEXT for t in window):
            return True
        return span.root.head.lower_ in ACTOR_CONTEXT

    def acting(self, span: Span) -> bool:
        """An ambiguous actor name said to do an attack ("Anonymous hacked a firm", "Anonymous
        also leaked the data", "defaced by Anonymous"): the attack verbs of [actor] in
        data/nlp/cues.toml."""
        root = span.root
        head = root.head
        if root.dep_ == "nsubj" and head.lower_ in self.attack_verbs:
            return True
        return root.dep_ == "pobj" and head.lower_ == "by" and head.head.lower_ in self.attack_verbs

    @staticmethod
    def inside_longer_name(span: Span) -> bool:
        """ "Royal" in "Royal Mail", "Play" in "Google Play": part of another proper name."""
        doc = span.doc
        for neighbour in (
            doc[span.end] if span.end < len(doc) else None,
            doc[span.start - 1] if span.start > 0 else None,
        ):
            if neighbour is None:
                continue
            if neighbour.lower_ in ACTOR_CONTEXT:
                continue
            if neighbour.is_title and neighbour.pos_ == "PROPN" and not neighbour.is_sent_start:
                return True
            if neighbour.is_title and neighbour.pos_ == "PROPN" and neighbour.i == span.end:
                return True
        return False


@Language.factory(
    "incident_gazetteer",
    default_config={"gazetteer_dir": None, "spans_key": SPANS_KEY},
)
def make_gazetteer_matcher(
    nlp: Language, name: str, gazetteer_dir: str | None, spans_key: str
) -> GazetteerMatcher:
    return GazetteerMatcher(nlp, name, gazetteer_dir, spans_key)


__all__ = ["GazetteerMatcher", "AGENCY", "THREAT_ACTOR", "VENDOR", "SERVICE", "SPANS_KEY", "doc_countries"]
