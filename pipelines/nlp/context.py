"""`paragraph_sentences` (sentence starts at line breaks) and `incident_context` (countries,
the victim's sector).

Titles and paragraphs rarely end in a way the parser reads as a boundary, so a title runs
into the first sentence; marking a sentence start after every line break fixes that before
the parser runs (the parser keeps boundaries set before it).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from spacy.attrs import IS_SPACE, POS, TAG
from spacy.language import Language
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc, Span

from core.countries import country_code
from core.gazetteers import AGENCY, load_gazetteer
from pipelines.nlp.cues import load_cues
from pipelines.nlp.gazetteer_component import COUNTRY_LABELS
from pipelines.nlp.guard import guarded
from pipelines.nlp.roles import title_end
from pipelines.nlp.state import doc_analysis
from pipelines.nlp.text import doc_info, release, word_ids


@Language.component("paragraph_sentences")
def paragraph_sentences(doc: Doc) -> Doc:
    """A new sentence starts at the first token after a line break (line breaks are
    whitespace tokens, so only those are looked at)."""
    for index in np.nonzero(doc.to_array(IS_SPACE))[0]:
        index = int(index)
        if index + 1 < len(doc) and "\n" in doc[index].text:
            doc[index + 1].is_sent_start = True
    return doc


class TagToPos:
    """Coarse part of speech from the tagger's fine tag, by the mapping the model's attribute
    ruler applies. The ruler runs 179 token patterns through a Matcher and also sets lemmas
    and morphology nobody here reads; a dictionary lookup gives the same POS for a fraction of
    the cost."""

    def __init__(self, nlp: Language, name: str, mapping: dict[str, str]):
        self.name = name
        self.mapping = {
            nlp.vocab.strings.add(tag): POS_IDS[pos] for tag, pos in mapping.items() if pos in POS_IDS
        }

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        tags = doc.to_array(TAG)
        unique, inverse = np.unique(tags, return_inverse=True)
        pos = np.array([self.mapping.get(int(t), 0) for t in unique], dtype="uint64")[inverse]
        doc.from_array([POS], pos.reshape(-1))
        return doc


def tag_pos_mapping(nlp: Language) -> dict[str, str]:
    """TAG → POS from the attribute ruler's single-token patterns (empty if it has none)."""
    if "attribute_ruler" not in nlp.pipe_names:
        return {}
    mapping = {}
    for pattern in nlp.get_pipe("attribute_ruler").patterns:
        attrs = pattern.get("attrs", {})
        for tokens in pattern.get("patterns", []):
            if (
                len(tokens) == 1
                and set(tokens[0]) == {"TAG"}
                and "POS" in attrs
                and isinstance(tokens[0]["TAG"], str)
            ):
                mapping.setdefault(tokens[0]["TAG"], attrs["POS"])
    return mapping


@Language.factory("tag_pos", default_config={"mapping": {}})
def make_tag_pos(nlp: Language, name: str, mapping: dict[str, str]) -> TagToPos:
    return TagToPos(nlp, name, mapping)


# Heads of a noun phrase that make a country in it the attackers' ("Iranian hackers").
ATTACKER_NOUNS = frozenset(
    {
        "hackers",
        "hacker",
        "criminals",
        "cybercriminals",
        "gang",
        "gangs",
        "actors",
        "actor",
        "spies",
        "operatives",
        "attackers",
        "crew",
        "scammers",
        "fraudsters",
        "apt",
        "responsible",
        "behind",
    }
)
# Countries whose states or provinces the news names instead of the country ("a Texas hospital").
REGION_COUNTRIES = ("US", "CA", "AU")


@functools.lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    import pycountry

    regions: dict[str, str] = {}
    for code in REGION_COUNTRIES:
        for sub in pycountry.subdivisions.get(country_code=code) or []:
            if sub.type in {"State", "Province", "Territory", "District"}:
                regions.setdefault(sub.name.lower(), code)
    return regions


def region_country(text: str) -> str | None:
    """The country of a US state, Canadian province or Australian state named alone."""
    return _regions().get(text.strip().lower())


def attributes_attackers(ent) -> bool:
    """Is the place an attribute of the attackers: "Russia-based criminals", "Chinese hackers"?"""
    head = ent.root
    for _ in range(3):
        if head.lower_ in ATTACKER_NOUNS and head.i >= ent.end:
            return True
        if head.head is head:
            break
        head = head.head
    return False


class ContextFinder:
    """Countries (ISO alpha-2, victim's sentences first) and the victim's sector."""

    def __init__(self, nlp: Language, name: str, gazetteer_dir: str | None):
        self.name = name
        gaz = load_gazetteer(gazetteer_dir)
        self.keyword_sectors: dict[str, list[str]] = {}
        for sector, keys in gaz.sector_keywords.items():
            for key in keys:
                self.keyword_sectors.setdefault(key, []).append(sector)
        keys = sorted(self.keyword_sectors, key=len, reverse=True)
        self.keywords = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in keys) + r")(?!\w)") if keys else None
        )
        cues = load_cues()
        self.generic = cues["victim"]["generic_org_nouns"]
        self.weights = cues["sector"]
        self.gazetteer = gaz
        self.naics = dict(gaz.sector_naics)

    @guarded
    def __call__(self, doc: Doc) -> Doc:
        analysis = doc_analysis(doc)
        victim_forms = [f.lower() for f in analysis.victim_forms]
        t_end = title_end(doc)
        info = doc_info(doc)
        counts: Counter = Counter()
        first_seen: dict[str, int] = {}
        attackers = {country_code(a) for a in analysis.attackers} - {None}
        for ent in info.ents:
            if ent.label_ in COUNTRY_LABELS:
                code = country_code(ent.text) or (
                    region_country(ent.text) if ent.label_ == "GPE" else country_code(ent.text.rstrip("s"))
                )
                if code and (code in attackers or attributes_attackers(ent)):
                    continue  # "Russia-based criminals", "North Korean hackers": not the victim's country
                if code:
                    sent = info.sent(ent)
                    if info.has_any(sent, word_ids(ATTACKER_NOUNS)):
                        weight = 0.25  # "the criminals ... are in Russia": where the attackers are
                    elif any(f in info.span_text(sent).lower() for f in victim_forms):
                        weight = 2
                    else:
                        weight = 1
                    counts[code] += weight
                    first_seen.setdefault(code, ent.start)
        for agency in analysis.agencies:
            if agency.get("country") and len(agency["country"]) == 2:
                counts[agency["country"]] += 1.0  # the police and regulators of the victim's country
                first_seen.setdefault(agency["country"], len(doc))
        analysis.countries = sorted(counts, key=lambda c: (-counts[c], first_seen.get(c, 0)))
        others = [a.get("name", "").lower() for a in analysis.agencies] + [
            a.lower() for a in analysis.attackers
        ]
        analysis.sector = self.sector(doc, victim_forms, t_end, others) if analysis.victims else None
        release(doc)
        return doc

    def sector(self, doc: Doc, victim_forms: list[str], t_end: int, others: Sequence[str] = ()) -> str | None:
        """The sector whose keywords are said of the victim (weights: cues.toml [sector]): in
        its name, in the phrases that describe it ("Optus, Australia's second-largest
        telecommunications company", "the retailer X", "X is a payroll provider"), in the
        definite descriptions the text uses for it ("the hospital"), and, weakest, anywhere in
        a sentence that names it (the names of the agencies and attackers blanked: "police"
        in "Australian Federal Police" is not the victim's). An agency of the gazetteer is
        government (or police)."""
        if self.keywords is None:
            return None
        weights = self.weights
        scores: Counter = Counter()
        for form in victim_forms:
            for entry in self.gazetteer.lookup(form, AGENCY):
                kind = "agency_police" if (entry.kind or "") == "police" else "agency_other"
                scores[weights[kind]] += weights["name"]
            for keyword in set(self.keywords.findall(form)):
                for sector in self.keyword_sectors[keyword]:
                    scores[sector] += weights["name"]
        info = doc_info(doc)
        lower = info.text.lower()
        seen_spans: set[int] = set()
        for form in sorted(set(victim_forms), key=len, reverse=True):
            if len(form) < 2:
                continue
            for match in re.finditer(r"(?<!\w)" + re.escape(form) + r"(?!\w)", lower):
                span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
                if span is None or span.start in seen_spans:
                    continue
                seen_spans.add(span.start)
                for phrase in descriptor_phrases(span):
                    for keyword in set(self.keywords.findall(phrase.lower())):
                        for sector in self.keyword_sectors[keyword]:
                            scores[sector] += weights["descriptor"]
        anaphora: Counter = Counter()
        generic_ids = word_ids(self.generic)
        for index in info.where(0, len(doc), generic_ids):
            token = doc[int(index)]
            if token.idx < t_end or not any(c.dep_ == "det" and c.lower_ == "the" for c in token.children):
                continue
            if any(t.pos_ == "PROPN" for t in doc[token.left_edge.i : token.i]):
                continue  # "the Texas hospital X": the phrase before a name, a descriptor above
            phrase = doc[token.left_edge.i : min(token.right_edge.i + 1, token.left_edge.i + 12)]
            for keyword in set(self.keywords.findall(phrase.text.lower())):
                anaphora[keyword] += 1
        for keyword, count in anaphora.items():
            for sector in self.keyword_sectors[keyword]:
                scores[sector] += weights["anaphora"] * min(count, weights["anaphora_max"])
        in_sentences: Counter = Counter()
        for sent in info.sents:
            text = info.span_text(sent).lower()
            for name in others:
                if len(name) > 2:
                    text = text.replace(name, " ")
            about_victim = any(f in text for f in victim_forms)
            about_generic = any(
                any(c.lower_ == "the" or c.dep_ == "poss" for c in doc[int(i)].children)
                for i in info.where(sent.start, sent.end, word_ids(self.generic))
            )
            if not (about_victim or about_generic):
                continue
            hits = Counter(self.keywords.findall(text))
            for keyword, count in hits.items():
                for sector in self.keyword_sectors[keyword]:
                    in_sentences[sector] += weights["sentence"] * min(count, 2)
        for sector, value in in_sentences.items():
            scores[sector] += min(value, weights["sentence_max"])
        if not scores:
            return None
        # ties go to the more specific sector (the longer NAICS code), then by name
        best = max(scores, key=lambda k: (scores[k], len(self.naics.get(k, "")), k))
        return best if scores[best] >= weights["minimum"] else None


def descriptor_phrases(span: Span) -> list[str]:
    """The phrases a text uses to say what an organisation is: its apposition, the predicate
    of "X is a ...", the words before its name in the same noun phrase, and the phrase it is
    in apposition to ("the retailer Marks & Spencer")."""
    root = span.root
    doc = span.doc
    out = []
    for child in root.children:
        if child.dep_ == "appos":
            out.append(doc[child.left_edge.i : child.right_edge.i + 1].text[:200])
    if root.left_edge.i < span.start:
        out.append(doc[root.left_edge.i : span.start].text)
    if root.dep_ == "appos" or (root.dep_ == "compound" and root.head.i > span.end - 1):
        head = root.head
        out.append(doc[head.left_edge.i : head.i + 1].text[:200])
    if root.dep_ == "nsubj" and root.head.lower_ in {"is", "was", "'s", "are", "were", "remains"}:
        for child in root.head.children:
            if child.dep_ == "attr":
                out.append(doc[child.left_edge.i : child.right_edge.i + 1].text[:200])
    return out


@Language.factory("incident_context", default_config={"gazetteer_dir": None})
def make_context_finder(nlp: Language, name: str, gazetteer_dir: str | None) -> ContextFinder:
    return ContextFinder(nlp, name, gazetteer_dir)
