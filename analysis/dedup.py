"""Near-duplicate articles (syndicated or republished copies) via MinHash LSH (datasketch).

A story copied by three outlets is one piece of evidence, not three: the build groups such
copies into one "story" and counts each story once, while keeping every copy's URL.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
SHINGLE = 3
MAX_TOKENS = 600
_WORD = re.compile(r"\w+")
_MASK32 = np.uint64(0xFFFFFFFF)


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the word 3-grams of a text (first MAX_TOKENS words), deduplicated."""
    tokens = _WORD.findall((text or "").casefold())[:MAX_TOKENS]
    if len(tokens) < SHINGLE:
        return np.empty(0, dtype=np.uint64)
    words = np.fromiter(map(zlib.crc32, map(str.encode, tokens)), dtype=np.uint64, count=len(tokens))
    combined = words[: 1 - SHINGLE] * np.uint64(0x9E3779B1)
    for offset in range(1, SHINGLE):
        end = len(words) - SHINGLE + 1 + offset
        combined = (combined ^ words[offset:end]) * np.uint64(0x85EBCA77)
    return np.unique(combined & _MASK32)


def _identity(value: int) -> int:
    return int(value)


def minhashes(texts: Sequence[str]) -> list[MinHash | None]:
    """One MinHash per text (None when a text is too short to compare), fixed seed."""
    hashed = [shingle_hashes(t) for t in texts]
    template = MinHash(num_perm=NUM_PERM, seed=7, hashfunc=_identity)
    out: list[MinHash | None] = []
    for values in hashed:
        if len(values) == 0:
            out.append(None)
            continue
        sketch = template.copy()
        sketch.update_batch(values)
        out.append(sketch)
    return out


def near_duplicate_pairs(texts: Sequence[str], threshold: float = 0.5) -> list[tuple[int, int, float]]:
    """Index pairs (i < j) whose estimated Jaccard similarity of shingles is ≥ threshold.

    LSH finds candidates in roughly linear time; each candidate is then checked against the
    MinHash estimate so the banding's false positives are dropped.
    """
    sketches = minhashes(texts)
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for index, sketch in enumerate(sketches):
            if sketch is not None:
                session.insert(index, sketch, check_duplication=False)
    pairs: list[tuple[int, int, float]] = []
    for index, sketch in enumerate(sketches):
        if sketch is None:
            continue
        for other in lsh.query(sketch):
            if other > index:
                similarity = sketch.jaccard(sketches[other])
                if similarity >= threshold:
                    pairs.append((index, other, similarity))
    pairs.sort()
    return pairs
