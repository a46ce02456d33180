"""The `incident_services` component: which services stopped, degraded or came back.

A service is a gazetteer term (services.csv) or a short noun phrase headed by a service word
("patient portal", "card payments", "IT systems") in a sentence about the incident that
carries a status cue. The status is the cue nearest to the phrase within the same clause
("import operations are suffering slight delays and Parcelforce is still operating" gives
two different statuses), falling back to the previous sentence of the same paragraph
("We are unable to dispatch items. Hold any export mail items.").
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from core.gazetteers import SERVICE, load_gazetteer
from pipelines.nlp.cues import load_cues
from pipelines.nlp.guard import guarded
from pipelines.nlp.roles import title_end
from pipelines.nlp.state import doc_analysis
from pipelines.nlp.text import MODALS, doc_info, is_past, word_ids

STATUSES = ["unaffected", "restored", "suspended", "degraded", "disrupted"]
CLAUSE_DEPS = {"ROOT", "ccomp", "conj", "advcl", "relcl", "xcomp", "csubj", "parataxis", "pcomp"}
DROP_MODIFIERS = {
    "some",
    "many",
    "all",
    "other",
    "certain",
    "several",
    "its",
    "their",
    "our",
    "the",
    "a",
    "an",
    "affected",
    "impacted",
    "key",
    "critical",
    "various",
    "own",
    "these",
    "those",
    "this",
    "that",
    "his",
    "her",
    "your",
    "my",
    "any",
    "most",
    "which",
    "whose",
    "main",
    "entire",
    "whole",
    "number",
    "temporarily",
    "multiple",
    "further",
    "both",
    "each",
    "every",
    "no",
    "such",
    "more",
    "less",
    "few",
    "normal",
    "usual",
    "vulnerable",
    "compromised",
    "infected",
    "disrupted",
    "suspended",
}
NOUN_TAGS = {"NN", "NNS", "NNP", "NNPS"}
LEADING_NOISE = {
    "about",
    "of",
    "for",
    "with",
    "and",
    "or",
    "also",
    "only",
    "just",
    "even",
    "still",
    "fraudulent",
    "fake",
    "malicious",
    "stolen",
    "new",
}
ATTACK_WORDS = {
    "ransomware",
    "malware",
    "phishing",
    "hacking",
    "hacker",
    "hackers",
    "attack",
    "attacks",
    "attacker",
    "attackers",
    "criminal",
    "criminals",
    "extortion",
    "ddos",
    "botnet",
    "spam",
    "scam",
    "fraudulent",
    "fake",
}
DATA_NOUNS = {
    "data",
    "records",
    "record",
    "details",
    "information",
    "credentials",
    "passwords",
    "documents",
    "files",
    "identifiers",
    "numbers",
    "addresses",
    "emails",
    "names",
}
NAME_ENTS = {"ORG", "GPE", "PERSON", "FAC", "NORP", "LOC"}
LEFT_MODIFIERS = {"compound", "amod", "nmod", "det", "poss", "nummod", "npadvmod", "quantmod", "case"}
SPECULATIVE = MODALS | {"if", "whether", "often", "usually", "typically", "potentially", "possibly"}


class ServiceFinder:
    """Finds affected services with their status and the sentence that says so."""

    def __init__(self, nlp: Language, name: str, max_words: int, max_cue_distance: int = 40):
        self.name = name
        self.max_words = max_words
        self.max_cue_distance = max_cue_distance
        # gazetteer entries of the "data" category (customer data, credentials) are what a
        # breach takes, not services that stop
        self.data_services = {
            service for _p, service, category in load_gazetteer().service_patterns if category == "data"
        }
        cues = load_cues()
        services = cues["services"]
        self.heads = set(services["heads"])
        self.bare_generic = frozenset(services["bare_generic"])
        self.status_patterns = {
            status: re.compile(
                r"(?<![\w-])(?:"
                + "|".join(re.escape(c) for c in sorted(services[status], key=len, reverse=True))
                + r")(?![\w-])"
            )
            for status in STATUSES
        }
        self.actor_verbs = cues["speech"]["verbs"]
        self.context_words = (
            cues["incident"]["words"]
            | {"we", "our", "its", "it", "us"}
            | set(cues["victim"]["generic_org_nouns"])
        )

    def cues_in(self, sent: Span) -> list[tuple[int, int, str]]:
        text = doc_info(sent.doc).span_text(sent).lower()
        found: list[tuple[int, int, str]] = []
        for status in STATUSES:
            for match in self.status_patterns[status].finditer(text):
                start, end = sent.start_char + match.start(), sent.start_char + match.end()
                if any(s <= start and end <= e for s, e, _ in found):
                    continue
                found.append((start, end, status))
        return found

    def candidates(self, sent: Span) -> list[tuple[Span, str]]:
        doc = sent.doc
        result: list[tuple[Span, str]] = []
        taken: set[int] = set()
        for span in doc.spans.get("gazetteer", []):
            if (
                span.label_ == SERVICE
                and sent.start <= span.start < sent.end
                and span.kb_id_ not in self.data_services
            ):
                result.append((span, span.kb_id_))
                taken.update(range(span.start, span.end))
        for chunk in self.head_phrases(sent):
            if any(i in taken for i in range(chunk.start, chunk.end)):
                continue
            if chunk.root.lower_ not in self.heads:
                continue
            if chunk.root.dep_ in {"nsubj", "nsubjpass"} and chunk.root.head.lower_ in self.actor_verbs:
                continue  # "the postal service added": the organisation speaking, not a service
            words = [
                t
                for t in chunk
                if t.lower_ not in DROP_MODIFIERS
                and t.pos_ not in {"DET", "PRON", "NUM", "PUNCT", "PART"}
                and t.dep_ not in {"poss", "case"}
                and not (t.ent_type_ in {"GPE", "NORP"} and t.i < chunk.root.i)
            ]
            if not words or len(words) > self.max_words:
                continue
            if chunk.root.ent_type_ in NAME_ENTS or chunk.root.pos_ == "PROPN":
                continue  # "Royal Mail", "Service NSW": an organisation's name, not a service
            if words[0].ent_type_ in NAME_ENTS and len(words) > 1:
                words = [t for t in words if t.ent_type_ not in NAME_ENTS]
            while (
                words
                and words[0].pos_ in {"ADP", "ADV", "CCONJ", "SCONJ", "ADJ"}
                and words[0].lower_ in LEADING_NOISE
            ):
                words = words[1:]
            if not words:
                continue
            name = " ".join(t.text if t.text.isupper() and len(t.text) > 1 else t.lower_ for t in words)
            if any(t.lower_ in ATTACK_WORDS for t in words):
                continue  # "ransomware operations", "phishing emails": the attackers', not a service
            if name in self.bare_generic or name in self.data_services or words[-1].lower_ in DATA_NOUNS:
                continue  # data that was stolen is not a service that stopped
            result.append((chunk, name))
        return result

    def head_phrases(self, sent: Span) -> list[Span]:
        """Noun phrases headed by a service word: the head and its left modifiers (cheaper
        than computing every noun chunk of the document)."""
        doc = sent.doc
        phrases = []
        for index in doc_info(doc).where(sent.start, sent.end, word_ids(self.heads)):
            token = doc[int(index)]
            if token.tag_ not in NOUN_TAGS:
                continue
            start = token.i
            for child in token.lefts:
                if child.dep_ in LEFT_MODIFIERS:
                    start = min(start, child.left_edge.i)
            phrases.append(doc[max(start, sent.start) : token.i + 1])
        return phrases

    @staticmethod
    def clause_of(token: Token) -> Token:
        current = token
        for _ in range(12):
            if current.pos_ in {"VERB", "AUX"} and current.dep_ in CLAUSE_DEPS:
                return current
            if current.head is current:
                return current
            current = current.head
        return current

    def choose_status(
        self, span: Span, cues: list[tuple[int, int, str]], grounded: bool = True
    ) -> str | None:
        """The status the cue nearest to the phrase gives it. With `grounded` (cues of the
        phrase's own sentence) the cue must be in the phrase's clause or close to it: "the
        breach affected customers, whose card payments were made online" says nothing about
        card payments stopping."""
        if not cues:
            return None
        doc = span.doc
        clause = self.clause_of(span.root)

        def rank(cue: tuple[int, int, str]) -> tuple[int, int, int]:
            start, end, status = cue
            cue_span = doc.char_span(start, end, alignment_mode="expand")
            same = 0 if cue_span is not None and self.clause_of(cue_span.root) == clause else 1
            distance = min(abs(start - span.end_char), abs(span.start_char - end))
            return same, distance, STATUSES.index(status)

        best = min(cues, key=rank)
        same, distance, _ = rank(best)
        if grounded and same and distance > self.max_cue_distance:
            return None
        return best[2]

    @guarded
    def __call__(self, doc: Doc) -> Doc:
        analysis = doc_analysis(doc)
        t_end = title_end(doc)
        victim_forms = [f.lower() for f in analysis.victim_forms]
        services: list[dict] = []
        seen: set[tuple[str, str]] = set()
        trusted = set(analysis.victims) | {a["name"] for a in analysis.agencies}
        untrusted = [(s, e) for s, e, speaker in analysis.quote_spans if speaker not in trusted]
        previous: tuple[Span, list] | None = None
        info = doc_info(doc)
        for sent in info.sents:
            if sent.start_char < t_end:
                continue
            cues = self.cues_in(sent)
            text_lower = info.span_text(sent).lower()
            speculative = any(
                doc[int(i)].lower_ not in MODALS or doc[int(i)].tag_ == "MD"
                for i in info.where(sent.start, sent.end, word_ids(SPECULATIVE))
            )
            relevant = info.has_any(sent, word_ids(self.context_words)) or any(
                f in text_lower for f in victim_forms
            )
            middle = (sent.start_char + sent.end_char) // 2
            quoted_by_other = any(s <= middle < e for s, e in untrusted)
            if not speculative and relevant and not quoted_by_other and not is_past(sent):
                fallback = None
                if (
                    not cues
                    and previous is not None
                    and "\n" not in info.text[previous[0].end_char : sent.start_char]
                ):
                    fallback = previous[1]
                for span, name in self.candidates(sent):
                    status = self.choose_status(span, cues or fallback or [], grounded=bool(cues))
                    if status is None or (name, status) in seen:
                        continue
                    seen.add((name, status))
                    services.append(
                        {"service": name, "status": status, "sentence": info.span_text(sent).strip()[:600]}
                    )
            previous = (sent, cues)
        analysis.services = services
        analysis.services_affected = list(
            dict.fromkeys(s["service"] for s in services if s["status"] != "unaffected")
        )
        return doc


@Language.factory("incident_services", default_config={"max_words": 4, "max_cue_distance": 40})
def make_service_finder(nlp: Language, name: str, max_words: int, max_cue_distance: int) -> ServiceFinder:
    return ServiceFinder(nlp, name, max_words, max_cue_distance)
