"""`selective_ner`: the model's entity recogniser, run only on sentences that can hold a name.

Every entity the analysis reads (organisations, places, nationalities, people, products) is
written with a capital letter. The recogniser is the most expensive step of the small English
model (it has its own embedding layer), and a news article has many sentences with no
capitalised word but the first ("The company said it was working with investigators."). Those
sentences are left out: the others are copied into one shorter document per input, the
recogniser runs on those in a batch, and the entities are mapped back onto the original
document. A sentence is kept when a token is tagged as a proper noun (NNP/NNPS), or has a
capital letter anywhere but at the start of the sentence, or has one after its first
character ("eBay", "McAfee"), or is in the title.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from spacy.attrs import IS_SPACE, IS_TITLE, LOWER, ORTH, SENT_START, TAG
from spacy.language import Language
from spacy.tokens import Doc, Span

PROPER_TAGS = ("NNP", "NNPS")
NOMINAL_TAGS = ("NNP", "NNPS", "NN", "NNS", "JJ", "FW", "CD")


class SelectiveNER:
    """Wraps a trained `ner` component; same labels and model, less text."""

    def __init__(self, nlp: Language, name: str, source: str, min_skip_ratio: float, window: int):
        self.name = name
        self.window = window
        self.source = source
        self.min_skip_ratio = min_skip_ratio
        self.ner = None
        self.proper_ids = np.array([nlp.vocab.strings.add(t) for t in PROPER_TAGS], dtype="uint64")
        self.nominal_ids = np.array([nlp.vocab.strings.add(t) for t in NOMINAL_TAGS], dtype="uint64")

    def bind(self, ner) -> None:
        self.ner = ner

    # -- which tokens to keep ---------------------------------------------------------------
    def keep_mask(self, doc: Doc) -> np.ndarray:
        """Per token: does its sentence go to the recogniser? (Vectorised over the tokens:
        this runs on every document and must cost far less than what it saves.)"""
        n = len(doc)
        arrays = doc.to_array([TAG, ORTH, LOWER, IS_TITLE, SENT_START, IS_SPACE])
        tags, orth, lower, title, sent_start, space = (arrays[:, i] for i in range(6))
        has_upper = (orth != lower) & (space == 0)
        # a proper-noun tag, or a capital that is not just a title-case first letter ("FBI", "eBay")
        strong = np.isin(tags, self.proper_ids) | (has_upper & (title == 0))
        starts = np.nonzero(sent_start.astype("int64") == 1)[0]
        if not len(starts) or starts[0] != 0:
            starts = np.concatenate([[0], starts]).astype("int64")
        # the first word of a sentence is capitalised anyway: count capitals after it
        first_word = np.zeros(n, dtype=bool)
        for s in starts:
            i = int(s)
            while i < n - 1 and space[i]:
                i += 1
            first_word[i] = True
        # a sentence's capitalised first word counts when it may be a name or a demonym
        # ("Japanese", "Equifax"), not when it is a function word ("The", "It", "However")
        weak = has_upper & (~first_word | np.isin(tags, self.nominal_ids))
        anchors = strong | weak
        lengths = np.diff(np.concatenate([starts, [n]]))
        if self.window > 0:
            # the tokens around each name, as far as the recogniser's features reach
            width = 2 * self.window + 1
            keep = np.convolve(anchors.astype("int64"), np.ones(width, dtype="int64"), mode="same") > 0
        else:
            per_sentence = np.add.reduceat(anchors.astype("int64"), starts) > 0
            keep = np.repeat(per_sentence, lengths)
        title_end = int(doc._.title_end or 0) if Doc.has_extension("title_end") else 0
        if title_end:
            for s, length in zip(starts, lengths):
                if doc[int(s)].idx >= title_end:
                    break
                keep[int(s) : int(s) + int(length)] = True
        return keep

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._process(batch)
                batch = []
        if batch:
            yield from self._process(batch)

    def _process(self, docs: list[Doc]) -> list[Doc]:
        plans = []
        subdocs = []
        for doc in docs:
            if not len(doc):
                plans.append(None)
                continue
            keep = self.keep_mask(doc)
            if keep.all() or keep.mean() > 1 - self.min_skip_ratio:
                plans.append(("whole", len(subdocs)))
                subdocs.append(doc)
                continue
            index = np.nonzero(keep)[0]
            words = [doc[int(i)].text for i in index]
            spaces = [bool(doc[int(i)].whitespace_) for i in index]
            if not words:
                plans.append(("none", None))
                continue
            # sentence starts carry over (an entity never crosses one), and each left-out gap
            # starts a new sentence, so fragments do not run into one another
            starts = doc.to_array([SENT_START])[index].astype("int64") == 1
            starts[1:] |= np.diff(index) > 1
            starts[0] = True
            sub = Doc(doc.vocab, words=words, spaces=spaces, sent_starts=[bool(x) for x in starts])
            plans.append(("sub", len(subdocs), index))
            subdocs.append(sub)
        results = list(self.ner.pipe(subdocs, batch_size=max(len(subdocs), 1))) if subdocs else []
        for doc, plan in zip(docs, plans):
            if plan is None or plan[0] == "whole":
                continue
            if plan[0] == "none":
                doc.set_ents([], default="outside")
                continue
            _kind, position, index = plan
            sub = results[position]
            ents = []
            for ent in sub.ents:
                start, end = int(index[ent.start]), int(index[ent.end - 1]) + 1
                if end - start != len(ent):
                    continue  # spans a left-out sentence: not a name in the original
                ents.append(Span(doc, start, end, label=ent.label))
            doc.set_ents(ents, default="outside")
        return docs


@Language.factory("selective_ner", default_config={"source": "ner", "min_skip_ratio": 0.03, "window": 4})
def make_selective_ner(
    nlp: Language, name: str, source: str, min_skip_ratio: float, window: int
) -> SelectiveNER:
    return SelectiveNER(nlp, name, source, min_skip_ratio, window)
