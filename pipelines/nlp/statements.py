"""The `incident_statements` component: quoted words and who said them.

Quotes are found on the characters (curly, straight and angle quotes; a quote left open at
the end of a paragraph continues in the next, as the press writes it). The speaker is the
subject of the speech verb next to the quote ("…,” it said", "X said: “…”", "according to
X"); an unattributed quote continues the previous speaker. Pronouns and descriptions are
resolved: "it" to the organisation the preceding sentences are about, "the company" to the
victim, "he"/"she" to the last person named, "an NCSC spokesperson" to the agency.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from core.gazetteers import AGENCY, THREAT_ACTOR, VENDOR
from core.names import clean_name, names_match
from pipelines.nlp.cues import load_cues
from pipelines.nlp.guard import guarded
from pipelines.nlp.roles import SPEAKER_NOUNS, title_end
from pipelines.nlp.state import doc_analysis
from pipelines.nlp.text import Quote, doc_info, find_quotes

ORG_PRONOUNS = {"it", "they", "we"}
PERSON_PRONOUNS = {"he", "she"}
SUBJECT_DEPS = {"nsubj", "nsubjpass"}


class StatementFinder:
    """Finds quotes and resolves their speakers to organisations or people."""

    def __init__(self, nlp: Language, name: str, min_words: int, max_quote_chars: int):
        self.name = name
        self.min_words = min_words
        self.max_quote_chars = max_quote_chars
        cues = load_cues()
        self.speech_verbs = cues["speech"]["verbs"]
        self.generic_nouns = cues["victim"]["generic_org_nouns"]

    @guarded
    def __call__(self, doc: Doc) -> Doc:
        analysis = doc_analysis(doc)
        self.doc = doc
        self.analysis = analysis
        self.org_spans = self.named_spans(doc)
        self.info = doc_info(doc)
        quotes = [q for q in find_quotes(self.info.text) if q.start >= title_end(doc)]
        self.quote_ranges = [(q.start, q.end) for q in quotes]
        statements = []
        spans = []
        previous: tuple[Quote, str | None] | None = None
        for quote in quotes:
            text = self.info.text[quote.start : quote.end].strip().rstrip(",").strip()
            speaker, attributed = self.attribute(quote)
            if speaker is None:
                attributed = False
            if not attributed and previous is not None and quote.paragraph - previous[0].paragraph <= 1:
                speaker = previous[1]
                attributed = speaker is not None
            spans.append((quote.start, quote.end, speaker))
            words = len(text.split())
            if words < 4 or (words < self.min_words and not (attributed and text[:1].isupper())):
                continue
            previous = (quote, speaker)
            statements.append({"speaker": speaker, "quote": text[: self.max_quote_chars]})
        analysis.statements = statements
        analysis.quote_spans = spans
        return doc

    # -- names ------------------------------------------------------------------------------
    @staticmethod
    def named_spans(doc: Doc) -> list[tuple[Span, str, str]]:
        """(span, kind, resolved name) for gazetteer organisations and NER entities."""
        result: list[tuple[Span, str, str]] = []
        taken: set[int] = set()
        for span in doc.spans.get("gazetteer", []):
            if span.label_ in {AGENCY, THREAT_ACTOR, VENDOR}:
                result.append((span, "org", span.kb_id_))
                taken.update(range(span.start, span.end))
        for ent in doc_info(doc).ents:
            if ent.start in taken:
                continue
            if ent.label_ == "PERSON":
                result.append((ent, "person", ent.text))
            elif ent.label_ == "ORG":
                result.append((ent, "org", clean_name(ent.text)))
        return result

    def name_of(self, span: Span, kind: str, name: str) -> str:
        if kind == "person":
            return self.full_person_name(span, name)
        for victim in self.analysis.victims:
            if names_match(victim, name):
                return victim
        for cluster in self.analysis.clusters:
            if name in cluster.get("forms", []) or cluster["name"] == name:
                return cluster["name"]
        return name

    def full_person_name(self, span: Span, name: str) -> str:
        """'Alashe' → 'Oz Alashe' when the full name appeared earlier."""
        if " " in name:
            return name
        for other, kind, other_name in self.org_spans:
            if kind == "person" and other.start < span.start and other_name.split()[-1] == name:
                return other_name
        return name

    def span_at(self, token: Token) -> tuple[Span, str, str] | None:
        for span, kind, name in self.org_spans:
            if span.start <= token.i < span.end:
                return span, kind, name
        return None

    # -- attribution ------------------------------------------------------------------------
    def attribute(self, quote: Quote) -> tuple[str | None, bool]:
        doc = self.doc
        after = self.tokens_between(quote.end, self.next_boundary(quote))
        for token in after:
            if token.lower_ == "according" and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "to":
                target = next((c for c in doc[token.i + 1].children if c.dep_ == "pobj"), None)
                if target is not None:
                    return self.resolve(target), True
            if (
                token.lower_ in self.speech_verbs
                and token.pos_ in {"VERB", "AUX"}
                or token.lower_ in {"said", "says", "added"}
            ):
                subject = self.subject_of(token)
                if subject is not None:
                    return self.resolve(subject), True
        before = self.tokens_between(self.previous_boundary(quote), quote.start - 1)
        for token in reversed(before):
            if token.lower_ in self.speech_verbs and token.pos_ in {"VERB", "AUX"}:
                subject = self.subject_of(token)
                if subject is not None:
                    return self.resolve(subject), True
        return None, False

    def next_boundary(self, quote: Quote) -> int:
        starts = [s for s, _ in self.quote_ranges if s > quote.end]
        para_end = self.info.text.find("\n", quote.end)
        limits = [
            x
            for x in (min(starts) - 1 if starts else None, para_end if para_end >= 0 else None)
            if x is not None
        ]
        return min(limits) if limits else len(self.info.text)

    def previous_boundary(self, quote: Quote) -> int:
        ends = [e for _, e in self.quote_ranges if e < quote.start]
        para_start = self.info.text.rfind("\n", 0, quote.start) + 1
        return max([para_start, *[e + 1 for e in ends]])

    def tokens_between(self, start: int, end: int) -> list[Token]:
        if end <= start:
            return []
        span = self.doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            return []
        return [t for t in span if not any(s <= t.idx < e for s, e in self.quote_ranges)]

    @staticmethod
    def subject_of(verb: Token) -> Token | None:
        current = verb
        for _ in range(3):
            for child in current.children:
                if child.dep_ in SUBJECT_DEPS:
                    return child
            if current.dep_ in {"conj", "xcomp"} and current.head is not current:
                current = current.head
            else:
                break
        return None

    def resolve(self, token: Token) -> str | None:
        """The organisation or person a subject token stands for."""
        lower = token.lower_
        found = self.span_at(token)
        if found:
            return self.name_of(*found)
        if lower in SPEAKER_NOUNS or lower in {"official", "officials", "executive", "spokespeople"}:
            for child in token.subtree:
                if child is token:
                    continue
                hit = self.span_at(child)
                if hit and hit[1] == "org":
                    return self.name_of(*hit)
            return self.last_org_speaker(token) or self.victim()
        if lower in ORG_PRONOUNS:
            return self.resolve_it(token)
        if lower in PERSON_PRONOUNS:
            return self.last_person(token)
        if lower in self.generic_nouns and any(
            c.lower_ in {"the", "this"} or c.dep_ == "poss" for c in token.children
        ):
            if lower in {"agency", "authority", "centre", "center", "department", "ministry", "office"}:
                agency = self.last_of_kind(token, AGENCY)
                if agency:
                    return agency
            return self.victim() or self.last_org(token)
        if token.pos_ == "PROPN":
            return " ".join(t.text for t in token.subtree if t.dep_ in {"compound", "flat"} or t is token)
        return None

    def victim(self) -> str | None:
        victims = self.analysis.victims
        return victims[0] if victims else None

    def resolve_it(self, token: Token) -> str | None:
        """'it' refers to the organisation the preceding sentences are about (their subject)."""
        sent = self.info.sent(token)
        sentences = [s for s in self.info.sents if s.end <= sent.start]
        for previous in reversed(sentences[-8:]):
            subject = self.sentence_subject(previous)
            if subject is None:
                continue
            found = self.span_at(subject)
            if found and found[1] == "org":
                return self.name_of(*found)
            if found and found[1] == "person":
                continue
            if subject.lower_ in self.generic_nouns:
                return self.victim() or self.last_org(subject)
        return self.victim() or self.last_org(token)

    def sentence_subject(self, sent: Span) -> Token | None:
        for token in sent:
            if token.dep_ in SUBJECT_DEPS and token.head.dep_ == "ROOT" and not self.in_quote(token):
                return token
        return None

    def in_quote(self, token: Token) -> bool:
        return any(s <= token.idx < e for s, e in self.quote_ranges)

    def last_person(self, token: Token) -> str | None:
        """The last person named before `token`: a PERSON entity, or a proper-noun subject the
        NER missed ("Oz Alashe, CEO of CybSafe, argued")."""
        best = None
        for span, kind, name in self.org_spans:
            if kind == "person" and span.start < token.i and not self.in_quote(span[0]):
                if best is None or span.start > best[0].start:
                    best = (span, name)
        sentences = [s for s in self.info.sents if s.end <= self.info.sent(token).start][-4:]
        for sent in reversed(sentences):
            subject = self.sentence_subject(sent)
            if subject is None or subject.pos_ != "PROPN" or self.span_at(subject):
                continue
            if best is not None and best[0].start > subject.i:
                break
            parts = [t for t in subject.lefts if t.dep_ in {"compound", "flat"} and t.pos_ == "PROPN"]
            name = " ".join(t.text for t in [*parts, subject])
            if any(c.dep_ == "appos" for c in subject.children) or len(parts) >= 1:
                return name
        return self.full_person_name(*best) if best else None

    def last_org(self, token: Token) -> str | None:
        best = None
        for span, kind, name in self.org_spans:
            if kind == "org" and span.start < token.i and not self.in_quote(span[0]):
                if best is None or span.start > best[0].start:
                    best = (span, kind, name)
        return self.name_of(*best) if best else None

    def last_of_kind(self, token: Token, label: str) -> str | None:
        best = None
        for span, _kind, _name in self.org_spans:
            if span.label_ == label and span.start < token.i:
                if best is None or span.start > best.start:
                    best = span
        return best.kb_id_ if best is not None else None

    def last_org_speaker(self, token: Token) -> str | None:
        """'the spokesperson added' → whoever's spokesperson spoke last."""
        for span, kind, name in sorted(self.org_spans, key=lambda item: -item[0].start):
            if kind == "org" and span.start < token.i and span.root.head.lower_ in SPEAKER_NOUNS:
                return self.name_of(span, kind, name)
        return None


@Language.factory("incident_statements", default_config={"min_words": 6, "max_quote_chars": 2000})
def make_statement_finder(nlp: Language, name: str, min_words: int, max_quote_chars: int) -> StatementFinder:
    return StatementFinder(nlp, name, min_words, max_quote_chars)
