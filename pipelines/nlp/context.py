"""`paragraph_sentences` (sentence starts at line breaks) and `incident_context` (countries,
the victim's sector).

Titles and paragraphs rarely end in a way the parser reads as a boundary, so a title runs
into the first sentence; marking a sentence start after every line break fixes that before
the parser runs (the parser keeps boundaries set before it).
"""

from __future__ import annotations

import re
from collections import Counter

from spacy.language import Language
from spacy.tokens import Doc

from pipelines.nlp.guard import guarded
from pipelines.nlp.gazetteer_component import COUNTRY_LABELS
from pipelines.nlp.gazetteers import load_cues, load_gazetteer
from pipelines.nlp.roles import title_end
from pipelines.nlp.text import country_code


@Language.component("paragraph_sentences")
def paragraph_sentences(doc: Doc) -> Doc:
    """A new sentence starts at the first token after a line break."""
    for token in doc[:-1]:
        if "\n" in token.text or "\n" in token.whitespace_:
            doc[token.i + 1].is_sent_start = True
    return doc


class ContextFinder:
    """Countries (ISO alpha-2, victim's sentences first) and the victim's sector."""

    def __init__(self, nlp: Language, name: str, gazetteer_dir: str | None):
        self.name = name
        gaz = load_gazetteer(gazetteer_dir)
        self.sectors = [
            (sector, re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) + r")(?!\w)"))
            for sector, keys in gaz.sector_keywords.items()
            if keys
        ]
        self.generic = load_cues()["victim"]["generic_org_nouns"]

    @guarded
    def __call__(self, doc: Doc) -> Doc:
        analysis = doc._.analysis if doc._.analysis is not None else {}
        victim_forms = [f.lower() for f in analysis.get("victim_forms", [])]
        t_end = title_end(doc)
        counts: Counter = Counter()
        first_seen: dict[str, int] = {}
        for ent in doc.ents:
            if ent.label_ in COUNTRY_LABELS:
                code = country_code(ent.text)
                if code:
                    weight = 2 if any(f in ent.sent.text.lower() for f in victim_forms) else 1
                    counts[code] += weight
                    first_seen.setdefault(code, ent.start)
        for agency in analysis.get("agencies", []):
            if agency.get("country") and len(agency["country"]) == 2:
                counts[agency["country"]] += 0.5
                first_seen.setdefault(agency["country"], len(doc))
        analysis["countries"] = sorted(counts, key=lambda c: (-counts[c], first_seen.get(c, 0)))
        analysis["sector"] = self.sector(doc, victim_forms, t_end) if analysis.get("victims") else None
        doc._.analysis = analysis
        return doc

    def sector(self, doc: Doc, victim_forms: list[str], t_end: int) -> str | None:
        """The sector whose keywords are most used about the victim: in its name, in the
        phrases around it ("X, a Texas hospital chain"), and in sentences that name it."""
        if not self.sectors:
            return None
        scores: Counter = Counter()
        for form in victim_forms:
            for sector, pattern in self.sectors:
                if pattern.search(form):
                    scores[sector] += 3
        for sent in doc.sents:
            text = sent.text.lower()
            about_victim = any(f in text for f in victim_forms)
            about_generic = any(
                t.lower_ in self.generic and any(c.lower_ == "the" or c.dep_ == "poss" for c in t.children) for t in sent
            )
            if not (about_victim or about_generic):
                continue
            weight = 2 if sent.start_char < t_end else 1
            for sector, pattern in self.sectors:
                hits = len(pattern.findall(text))
                if hits:
                    scores[sector] += weight * min(hits, 2)
        if not scores:
            return None
        best, value = scores.most_common(1)[0]
        return best if value >= 2 else None


@Language.factory("incident_context", default_config={"gazetteer_dir": None})
def make_context_finder(nlp: Language, name: str, gazetteer_dir: str | None) -> ContextFinder:
    return ContextFinder(nlp, name, gazetteer_dir)
