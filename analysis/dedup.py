"""Near-duplicate articles (syndicated or republished copies) via MinHash LSH (datasketch).

A story copied by three outlets is one piece of evidence, not three: the build groups such
copies into one "story" and counts each story once, while keeping every copy's URL.

datasketch is imported where it is used: it imports scipy, half a second that a build with
nothing to compare (nothing new since the last one) need not pay.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

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
    from datasketch import MinHash

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


def signatures(texts: Sequence[str]) -> list[np.ndarray | None]:
    """The MinHash values of each text (None when too short): what a build keeps between
    runs so that an incremental build hashes only the new articles."""
    return [None if sketch is None else sketch.hashvalues for sketch in minhashes(texts)]


def near_duplicate_pairs(texts: Sequence[str], threshold: float = 0.5) -> list[tuple[int, int, float]]:
    """Index pairs (i < j) whose estimated Jaccard similarity of shingles is ≥ threshold."""
    return signature_pairs(signatures(texts), threshold)


def _band_hash(block: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of a band (equal bands, equal hashes)."""
    hashed = np.zeros(len(block), dtype=np.uint64)
    for column in range(block.shape[1]):
        hashed = (hashed ^ block[:, column].astype(np.uint64)) * np.uint64(0x100000001B3)
    return hashed


def signature_pairs(
    sketches: Sequence[np.ndarray | None], threshold: float = 0.5, fresh: Sequence[bool] | None = None
) -> list[tuple[int, int, float]]:
    """Index pairs (i < j) of MinHash signatures whose estimated Jaccard similarity is ≥ threshold.

    The banding of datasketch's MinHashLSH (its b bands of r values for this threshold), done
    for all signatures at once with numpy sorts instead of one hash-table insert per band and
    item: two signatures are candidates when one band is equal, and each candidate is checked
    against the MinHash estimate (as MinHash.jaccard does) so false positives are dropped.
    With `fresh` (a flag per signature), only the pairs with a fresh member: what an
    incremental build adds to the pairs it kept among the unchanged articles.
    """
    present = [index for index, sketch in enumerate(sketches) if sketch is not None]
    if len(present) < 2:
        return []
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    bands, rows_per_band = lsh.b, lsh.r
    matrix = np.concatenate([sketches[i] for i in present]).reshape(len(present), NUM_PERM)
    rows = np.asarray(present)
    is_fresh = None if fresh is None else np.asarray(fresh, dtype=bool)[rows]
    if is_fresh is not None and not is_fresh.any():
        return []
    candidates: set[tuple[int, int]] = set()
    for band in range(bands):
        block = np.ascontiguousarray(matrix[:, band * rows_per_band : (band + 1) * rows_per_band])
        within = np.arange(len(rows))
        if is_fresh is not None:
            # Only the signatures whose band may equal a fresh one's (same hash of the band)
            # are sorted and grouped below, where equality is exact.
            hashed = _band_hash(block)
            wanted = np.sort(hashed[is_fresh])
            at = np.minimum(np.searchsorted(wanted, hashed), len(wanted) - 1)
            within = np.flatnonzero(wanted[at] == hashed)
            block = block[within]
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows_per_band))).ravel()
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        boundary = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
        for group in np.flatnonzero(np.diff(boundary) > 1):
            positions = within[order[boundary[group] : boundary[group + 1]]]
            ids = rows[positions].tolist()
            flags = None if is_fresh is None else is_fresh[positions].tolist()
            candidates.update(
                (min(ids[a], ids[b]), max(ids[a], ids[b]))
                for a, b in combinations(range(len(ids)), 2)
                if flags is None or flags[a] or flags[b]
            )
    if not candidates:
        return []
    pairs = np.array(sorted(candidates), dtype=np.int64)
    position = np.full(len(sketches), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    equal = matrix[position[pairs[:, 0]]] == matrix[position[pairs[:, 1]]]
    similarity = np.count_nonzero(equal, axis=1) / NUM_PERM
    keep = similarity >= threshold
    return [(i, j, s) for (i, j), s in zip(pairs[keep].tolist(), similarity[keep].tolist())]
