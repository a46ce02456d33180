"""The `incident_classifier` component: is this article about an incident, and of which types.

An incident article tells that something happened to someone: the title says so ("hacked",
"breach", "ransomware attack"), a victim is on the receiving end in the grammar, and the
body asserts it. Patch, vulnerability, product, trend-report and advice articles lack a
victim and are dominated by their own vocabulary ("patch", "flaw", "CVE", "survey").
Types count only in sentences that assert (no modal, negation, generalisation or past
example) and outside quotes by commentators: "often tied to ransomware" is not ransomware.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from pipelines.nlp.guard import guarded
from pipelines.nlp.gazetteers import load_cues
from pipelines.nlp.roles import title_end
from pipelines.nlp.text import doc_info, is_hedged, is_past, word_ids

TYPE_ORDER = [
    "ransomware", "data_breach", "ddos", "phishing", "bec", "malware", "supply_chain", "espionage",
    "defacement", "wiper", "extortion", "account_takeover",
]
# Pattern indices of data_breach that only say "breach" (weak alongside ransomware).
WEAK_BREACH = {1}


def masked_text(sent: Span) -> str:
    """The sentence with multi-word organisation names blanked, so "Breach Desk" (a
    publisher) or "Ransomware Task Force" do not read as incident words."""
    names = [e for e in doc_info(sent.doc).sent_ents(sent) if e.label_ in {"ORG", "WORK_OF_ART"} and len(e) >= 2 and all(t.is_title or not t.is_alpha for t in e)]
    if not names:
        return doc_info(sent.doc).span_text(sent)
    parts = []
    for token in sent:
        ent = token.ent_type_
        if ent in {"ORG", "WORK_OF_ART"} and token.is_title and _in_title_case_name(token):
            parts.append("X" + token.whitespace_)
        else:
            parts.append(token.text_with_ws)
    return "".join(parts)


def _in_title_case_name(token: Token) -> bool:
    info = doc_info(token.doc)
    for ent in info.sent_ents(info.sent(token)):
        if ent.start <= token.i < ent.end:
            return len(ent) >= 2 and all(t.is_title or not t.is_alpha for t in ent)
    return False


class IncidentClassifier:
    """Decides is_incident and incident_types from cues, victims and hedging."""

    def __init__(self, nlp: Language, name: str, threshold: float):
        self.name = name
        self.threshold = threshold
        cues = load_cues()
        self.incident_words = cues["incident"]["words"]
        self.incident_title = cues["incident"]["title_words"]
        self.non_title = cues["non_incident"]["title_words"]
        self.non_body = cues["non_incident"]["body_words"]
        self.types = {
            kind: re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
            for kind, patterns in cues["types"].items()
            if patterns
        }
        breach = cues["types"].get("data_breach", [])
        self.strong_breach = re.compile(
            "|".join(f"(?:{p.pattern})" for i, p in enumerate(breach) if i not in WEAK_BREACH), re.IGNORECASE
        )

    def asserted_sentences(self, doc: Doc, analysis: dict) -> list[tuple[str, bool]]:
        """(sentence text, is it the title) for sentences that assert rather than speculate."""
        t_end = title_end(doc)
        trusted = set(analysis.get("victims") or []) | {a["name"] for a in analysis.get("agencies") or []}
        untrusted_quotes = [
            (start, end) for start, end, speaker in analysis.get("quote_spans", []) if speaker not in trusted
        ]
        result = []
        if t_end:
            title = doc.char_span(0, t_end, alignment_mode="expand")
            if title is not None and not is_hedged(title):
                result.append((title.text, True))
        for sent in doc_info(doc).sents:
            if sent.start_char < t_end:
                continue
            middle = (sent.start_char + sent.end_char) // 2
            if any(start <= middle < end for start, end in untrusted_quotes):
                continue
            if is_hedged(sent) or is_past(sent):
                continue
            result.append((masked_text(sent), False))
        return result

    def detect(self, doc: Doc, analysis: dict, asserted: list[tuple[str, bool]]) -> tuple[bool, float, dict]:
        t_end = title_end(doc)
        title_tokens = [t.lower_ for t in doc if t.idx < t_end]
        title_inc = sum(1 for t in title_tokens if t in self.incident_title)
        title_non = sum(1 for t in title_tokens if t in self.non_title)
        body = [s for s in doc_info(doc).sents if s.start_char >= t_end]
        info = doc_info(doc)
        non_ids = word_ids(self.non_body)
        inc_ids = word_ids(self.incident_words)
        # a sentence about a patch or flaw that also asserts an incident ("attackers pushed a
        # trojanized update to customers") is the incident's, not a patch article's
        non_sents = sum(1 for s in body if (info.has_any(s, non_ids) or "cve-" in info.span_text(s).lower())
                        and not (info.has_any(s, inc_ids) and not is_hedged(s) and not is_past(s)))
        non_ratio = non_sents / max(len(body), 1)
        hits = sum(1 for text, is_title in asserted if not is_title and any(w in self.incident_words for w in re.findall(r"[\w-]+", text.lower())))
        victims = analysis.get("victims") or []
        strong = float(analysis.get("victim_strong") or 0.0)
        score = 0.0
        score += 1.5 * min(title_inc, 2)
        score -= 1.5 * min(title_non, 2)
        score += 0.5 * min(strong, 6.0)
        score += 1.0 if victims else -2.0
        score += 0.4 * min(hits, 5)
        score -= 4.0 * non_ratio
        features = {"title_inc": title_inc, "title_non": title_non, "non_ratio": round(non_ratio, 2),
                    "hits": hits, "strong": strong, "score": round(score, 2)}
        return score >= self.threshold, score, features

    def classify(self, doc: Doc, analysis: dict, asserted: list[tuple[str, bool]]) -> list[str]:
        found: dict[str, int] = {}
        evidence: dict[str, str] = {}
        strong_breach = False
        for text, _is_title in asserted:
            for kind in TYPE_ORDER:
                pattern = self.types.get(kind)
                if pattern is not None and pattern.search(text):
                    found[kind] = found.get(kind, 0) + 1
                    evidence.setdefault(kind, text.strip()[:300])
                    if kind == "data_breach" and self.strong_breach.search(text):
                        strong_breach = True
        analysis["type_evidence"] = evidence
        types = [kind for kind in TYPE_ORDER if kind in found]
        if "wiper" in types:
            types = [t for t in types if t not in {"ransomware", "extortion"}]  # wipers posing as ransomware
        if "ransomware" in types or "wiper" in types or "ddos" in types:
            types = [t for t in types if t != "malware"]  # the malware is the ransomware / wiper / botnet
        if "ransomware" in types:
            types = [t for t in types if t != "extortion"]
            if "data_breach" in types and not strong_breach:
                types.remove("data_breach")
        return types

    @guarded
    def __call__(self, doc: Doc) -> Doc:
        analysis = doc._.analysis if doc._.analysis is not None else {}
        asserted = self.asserted_sentences(doc, analysis)
        is_incident, score, features = self.detect(doc, analysis, asserted)
        analysis["is_incident"] = is_incident
        analysis["incident_score"] = round(score, 2)
        analysis["incident_features"] = features
        if is_incident:
            analysis["incident_types"] = self.classify(doc, analysis, asserted) or ["unspecified"]
        else:
            analysis["incident_types"] = []
        doc._.analysis = analysis
        return doc


@Language.factory("incident_classifier", default_config={"threshold": 3.0})
def make_incident_classifier(nlp: Language, name: str, threshold: float) -> IncidentClassifier:
    return IncidentClassifier(nlp, name, threshold)
