"""Near-duplicate detection: the numpy MinHash and banding are datasketch's own."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash, MinHashLSH

from analysis.dedup import BANDING, NUM_PERM, SEED, near_duplicate_pairs, shingle_hashes, signatures

TEXTS = [
    "Hackers hit the Acme Corporation payroll systems on Monday, the company said in a statement.",
    "Hackers hit the Acme Corporation payroll systems on Monday, the company said. Republished.",
    "Royal Mail said on Wednesday that a cyber incident had disrupted its international export services.",
    "too short",
    "",
    " ".join(f"w{i}" for i in range(900)),  # past MAX_TOKENS
]


def test_signatures_are_datasketch_minhash_values():
    for text, values in zip(TEXTS, signatures(TEXTS)):
        hashes = shingle_hashes(text)
        if len(hashes) == 0:
            assert values is None
            continue
        reference = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int)
        reference.update_batch(hashes)
        assert values.dtype == reference.hashvalues.dtype
        np.testing.assert_array_equal(values, reference.hashvalues)


def test_banding_is_datasketch_lsh_banding():
    for threshold, (bands, rows) in BANDING.items():
        lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        assert (lsh.b, lsh.r) == (bands, rows)


def test_near_duplicates_are_found_and_others_not():
    pairs = near_duplicate_pairs(TEXTS)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert 0.5 <= pairs[0][2] < 1
