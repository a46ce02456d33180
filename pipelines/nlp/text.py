"""Text helpers shared by the components: names, paragraphs, quotes, hedges, countries.

Kept free of component state so each helper can be tested on a focused sentence.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
from spacy.attrs import DEP, ENT_TYPE, LOWER, POS, TAG
from spacy.strings import hash_string
from spacy.tokens import Doc, Span, Token

from pipelines.nlp.cues import load_cues

# Names the NER labels ORG that are never organisations in this domain.
NOT_ORG = re.compile(
    r"^(?:covid|coronavirus|gdpr|ccpa|hipaa|pci|ssl|tls|vpn|rdp|smb|ssn|pii|ceo|cto|ciso|it|ai|api|"
    r"dns|sql|ddos|apt|ransomware|malware|phishing|cyber|cybersecurity|security|bitcoin|tor|"
    r"windows|android|ios|linux|macos|office|office 365|exchange|wordpress|chrome|firefox|"
    r"sharepoint|outlook|gmail|powershell|excel|word|pdf|javascript|java|python|php|"
    r"\d+|[^a-z]*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quote:
    """A quoted passage: character offsets of its content and its paragraph."""

    start: int
    end: int
    paragraph: int
    open_ended: bool  # ran to the end of its paragraph without a closing mark


OPENERS = {"“": "”", "«": "»", "„": "“", '"': '"'}


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Character ranges of the paragraphs (text separated by line breaks)."""
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        if match.group().strip():
            spans.append((match.start(), match.end()))
    return spans


def find_quotes(text: str) -> list[Quote]:
    """Quoted passages with curly, straight or angle quotes; an unclosed quote runs to the end
    of its paragraph (the press convention for a quote continuing in the next paragraph)."""
    quotes: list[Quote] = []
    for index, (p_start, p_end) in enumerate(paragraphs(text)):
        para = text[p_start:p_end]
        pos = 0
        while pos < len(para):
            match = re.search(r"[“«„\"]", para[pos:])
            if not match:
                break
            opener = match.group()
            begin = pos + match.start() + 1
            closer = OPENERS[opener]
            close_at = para.find(closer, begin)
            if opener == "„" and close_at < 0:
                close_at = para.find("”", begin)
            if close_at < 0:
                quotes.append(Quote(p_start + begin, p_end, index, True))
                break
            quotes.append(Quote(p_start + begin, p_start + close_at, index, False))
            pos = close_at + 1
        if not any(q.paragraph == index for q in quotes):
            for match in re.finditer(r"(?:(?<=^)|(?<=[\s(—–-]))‘(?=[A-Z])(.+?)[,.!?]’(?=\s|$|[,.;:)])", para):
                quotes.append(Quote(p_start + match.start(1), p_start + match.end(1) + 1, index, False))
    return quotes


def hedge_words() -> frozenset[str]:
    return load_cues()["hedges"]["words"]


MODALS = frozenset({"could", "might", "may", "can", "would", "should"})
# Words that hedge only the extent of a breach when an extent verb follows them.
EXTENT_HEDGES = frozenset({"may", "might", "could", "potentially", "possibly", "without"})
# "without a password": how a database was left open, not a negation of the incident.
UNPROTECTED = frozenset({"password", "passwords", "authentication", "encryption"})
EXTENT_FILLERS = frozenset({"have", "been", "potentially", "possibly", "also", "all", "further"})


def extent_verbs() -> frozenset[str]:
    return load_cues()["hedges"].get("extent_verbs", frozenset())


def is_extent_hedge(token: Token) -> bool:
    """ "may have been accessed", "could have contained", "potentially exposed": the modal
    hedges how much was reached, not whether the incident happened (how breach notices are
    worded). "May be" is not one: "devices may be exposed to attacks" speculates."""
    if token.lower_ not in EXTENT_HEDGES:
        return False
    doc = token.doc
    if token.lower_ == "without":
        following = [t.lower_ for t in doc[token.i + 1 : token.i + 3]]
        return bool(following) and (
            following[0] in UNPROTECTED
            or following[0] in {"a", "any"}
            and following[1:2]
            and following[1] in UNPROTECTED
        )
    verbs = extent_verbs()
    for i in range(token.i + 1, min(len(doc), token.i + 5)):
        lower = doc[i].lower_
        if lower in verbs:
            return True
        if lower in EXTENT_FILLERS:
            continue
        return False
    return False


@functools.lru_cache(maxsize=1)
def extent_phrase() -> re.Pattern:
    """The same test on text: a hedge-word match that starts one of these is not a hedge."""
    verbs = "|".join(sorted(map(re.escape, extent_verbs()), key=len, reverse=True)) or "(?!)"
    fillers = "|".join(sorted(EXTENT_FILLERS))
    modals = "|".join(sorted(EXTENT_HEDGES - {"without"}))
    return re.compile(
        r"(?:(?:" + modals + r")(?:\s+(?:" + fillers + r")){0,3}\s+(?:" + verbs + r")(?![\w-])"
        r"|without\s+(?:(?:a|any)\s+)?(?:" + "|".join(sorted(UNPROTECTED)) + r")(?![\w-]))",
        re.IGNORECASE,
    )


def is_hedged(sent: Span) -> bool:
    """Does the sentence speculate, negate or generalise (so its claims are not assertions)?"""
    info = doc_info(sent.doc)
    if (info.dep[sent.start : sent.end] == sent.doc.vocab.strings["neg"]).any():
        return True
    words = hedge_words()
    hits = info.where(sent.start, sent.end, word_ids(words))
    if not len(hits):
        return False
    for index in hits:
        token = sent.doc[int(index)]
        lower = token.lower_
        if lower in words:
            if lower in MODALS and token.tag_ != "MD":
                continue
            if lower in EXTENT_HEDGES and is_extent_hedge(token):
                continue
            if lower == "if" and token.dep_ not in {"mark", "prep", "advmod"}:
                continue
            if (
                lower in {"many", "most"}
                and token.i > 0
                and sent.doc[token.i - 1].lower_ in {"as", "how", "so", "too", "of"}
            ):
                continue  # "as many as one million": a number, not a generalisation
            return True
        if token.dep_ == "neg":
            return True
    return False


def has_past_marker(text: str) -> bool:
    lower = text.lower()
    return any(marker in lower for marker in load_cues()["hedges"]["past_markers"])


YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")


def current_year(doc: Doc) -> int | None:
    """The year the article is about: its publication year when known, else the latest year
    it mentions."""
    cached = doc.user_data.get("incident_current_year")
    if cached is not None:
        return cached or None
    published = doc._.published_year if Doc.has_extension("published_year") else None
    if published:
        year = int(published)
    else:
        years = [int(y) for y in YEAR.findall(doc_info(doc).text[:20_000])]
        year = max(years) if years else 0
    doc.user_data["incident_current_year"] = year
    return year or None


def is_past(sent: Span) -> bool:
    """A sentence about an earlier event: a past-example phrase, or only earlier years."""
    info = doc_info(sent.doc)
    cached = info.past.get(sent.start)
    if cached is not None:
        return cached
    text = info.span_text(sent)
    if has_past_marker(text):
        result = True
    else:
        years = [int(y) for y in YEAR.findall(text)]
        now = current_year(sent.doc)
        result = bool(years and now and max(years) < now)
    info.past[sent.start] = result
    return result


def only_earlier_years(sent: Span) -> bool:
    """The sentence dates itself, and only to years before the article's: "in 2015, the
    group hit ..." (an attribution sentence's descriptive phrases do not make it past)."""
    years = [int(y) for y in YEAR.findall(doc_info(sent.doc).span_text(sent))]
    now = current_year(sent.doc)
    return bool(years and now and max(years) < now)


class DocInfo:
    """What the components ask of a document again and again, computed once: its text (spaCy
    rebuilds doc.text on every access), its sentences, each token's sentence (Token.sent scans
    the document), and the noun chunks of each sentence."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.text = doc.text
        self.sents = list(doc.sents)
        self.sent_of = [0] * len(doc)
        for index, sent in enumerate(self.sents):
            for i in range(sent.start, sent.end):
                self.sent_of[i] = index
        self._chunks: dict[int, list[Span]] | None = None
        self.past: dict[int, bool] = {}
        # Token attributes as arrays: checking word lists on arrays avoids creating a Python
        # Token object per token per check, which is most of the cost of rule components.
        arrays = (
            doc.to_array([LOWER, TAG, DEP, POS, ENT_TYPE]) if len(doc) else np.zeros((0, 5), dtype="uint64")
        )
        self.lower, self.tag, self.dep, self.pos, self.ent_type = (arrays[:, i] for i in range(5))

        self._masks: dict[int, np.ndarray] = {}
        self._ents: list[Span] | None = None

    def mask(self, ids: np.ndarray) -> np.ndarray:
        """Which tokens' lower-case form is one of `ids` (computed once per word list)."""
        key = id(ids)
        found = self._masks.get(key)
        if found is None:
            found = np.isin(self.lower, ids)
            self._masks[key] = found
        return found

    def where(self, start: int, end: int, ids: np.ndarray) -> np.ndarray:
        """Token indices in [start, end) whose lower-case form is one of `ids` (see word_ids)."""
        return np.nonzero(self.mask(ids)[start:end])[0] + start

    def has_any(self, span: Span, ids: np.ndarray) -> bool:
        return bool(self.mask(ids)[span.start : span.end].any())

    @property
    def ents(self) -> list[Span]:
        if self._ents is None:
            self._ents = list(self.doc.ents)
        return self._ents

    def span_text(self, span: Span) -> str:
        """A span's text sliced from the cached document text (Span.text joins its tokens)."""
        return self.text[span.start_char : span.end_char]

    def sent_ents(self, sent: Span) -> list[Span]:
        return [e for e in self.ents if sent.start <= e.start < sent.end]

    def sent(self, token_or_span: Token | Span) -> Span:
        index = token_or_span.i if isinstance(token_or_span, Token) else token_or_span.start
        return self.sents[self.sent_of[index]]

    def chunks(self, sent: Span) -> list[Span]:
        if self._chunks is None:
            self._chunks = {}
            if self.doc.has_annotation("DEP"):
                for chunk in self.doc.noun_chunks:
                    self._chunks.setdefault(self.sent_of[chunk.start], []).append(chunk)
        return self._chunks.get(self.sent_of[sent.start], []) if len(self.doc) else []


_INFO_CACHE: dict[int, DocInfo] = {}
_INFO_LIMIT = 256


def doc_info(doc: Doc) -> DocInfo:
    """The DocInfo of a document (cached for the documents of the current batches; the cache
    holds the Doc itself, so an id is never reused while its entry lives)."""
    info = _INFO_CACHE.get(id(doc))
    if info is not None and info.doc is doc:
        return info
    if len(_INFO_CACHE) >= _INFO_LIMIT:
        for key in list(_INFO_CACHE)[: _INFO_LIMIT // 2]:
            del _INFO_CACHE[key]
    info = DocInfo(doc)
    _INFO_CACHE[id(doc)] = info
    return info


@functools.lru_cache(maxsize=256)
def _word_ids(words: frozenset[str]) -> np.ndarray:
    return np.array(sorted(hash_string(w) for w in words), dtype="uint64")


def word_ids(words) -> np.ndarray:
    """The hashes of a word set, for DocInfo.where / has_any."""
    return _word_ids(frozenset(words))


def clear_cache() -> None:
    _INFO_CACHE.clear()


def release(doc: Doc) -> None:
    """Forget a finished document (the last component calls this)."""
    _INFO_CACHE.pop(id(doc), None)
