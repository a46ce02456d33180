"""Near-duplicate articles (syndicated or republished copies) via MinHash LSH (datasketch).

A story copied by three outlets is one piece of evidence, not three: the build groups such
copies into one "story" and counts each story once, while keeping every copy's URL.

The signatures are datasketch's MinHash values and the comparison its LSH banding, both done
with numpy over many articles at once (see `signatures`); datasketch, which imports scipy
(half a second), is imported only for a banding not in BANDING.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Sequence
from itertools import combinations

import numpy as np

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


# datasketch's MinHash as this module uses it (num_perm NUM_PERM, seed SEED, its default
# "affine32" scheme, the shingle hashes as its hash values), computed with numpy for a whole
# text at once: equal values (tests/test_dedup.py compares them with datasketch's), without
# a MinHash object per article or datasketch's import (scipy) on an incremental build.
SEED = 7
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
# The (bands, values per band) datasketch's MinHashLSH picks for NUM_PERM values and these
# thresholds (tests/test_dedup.py checks them against it); another threshold asks it.
BANDING = {0.5: (14, 4)}


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations (a odd, b) datasketch draws for SEED."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (datasketch mixes every hash value with it first)."""
    s1, m1, s2, m2, s3 = _FMIX32
    values = values ^ (values >> s1)
    values = values * m1
    values = values ^ (values >> s2)
    values = values * m2
    return values ^ (values >> s3)


def signatures(texts: Sequence[str]) -> list[np.ndarray | None]:
    """The MinHash values of each text (None when too short to compare): what a build keeps
    between runs so that an incremental build hashes only the new articles."""
    a, b = _permutations()
    out: list[np.ndarray | None] = []
    for text in texts:
        values = shingle_hashes(text)
        if len(values) == 0:
            out.append(None)
            continue
        mixed = _fmix32(values.astype(np.uint32))
        out.append((mixed[:, None] * a + b).min(axis=0))
    return out


def banding(threshold: float) -> tuple[int, int]:
    """(bands, values per band) of the LSH for `threshold`."""
    if threshold in BANDING:
        return BANDING[threshold]
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


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
    bands, rows_per_band = banding(threshold)
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
