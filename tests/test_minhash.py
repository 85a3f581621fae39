"""The dedupe stage's MinHash (arabpress_crawler.minhash) is datasketch's affine32 MinHash, value for value.

Signatures and LSH buckets are stored in the database, so a change of any value would make a crawl's
near-duplicate lookups miss what earlier runs stored: one signature is pinned as the code before the numpy
path computed it, and datasketch stays the reference for the permutations, the mixing and the LSH banding.
"""

from __future__ import annotations

import numpy as np
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from arabpress_crawler.minhash import AffineMinHash, fmix32, permutations
from arabpress_crawler.pipelines import dedupe

TITLE = "Cairo: The central bank Defended A training programme"
BODY = (
    "The port authority in Aleppo reviewed a heritage survey on Monday. " * 3
    + "راجعت هيئة النقل في الرباط مسابقة للعلوم خلال العام المقبل"
)
#: The signature of TITLE and BODY as datasketch's MinHash object computed it before (little-endian uint32).
PINNED_SIGNATURE = (
    "c1c1c720c6e32c00b7083a05548e4907960a0d0118e22905efbcd70549dd9f0bd4cf7e1784b044016ffc210c4347e811"
    "7650e5134aa334011ab591021cafbe0327ebb3047c26a404581d0c12178ee9039e335600a51a8e021419bd00e5ecc217"
    "e27e0b0d0261790282c88104291d740a83abed0ac3775a090c6fb6036d298419dd163e05ef599f15c590f90dac55d314"
    "971b25100628a90202589e23832ae21f468df80ce98ac0063b2c8f02c92b2e02e9fa061437db10032eb4c800231ffb01"
    "291a4b133a1b5e02e4196403eaad85001bf8f901b6d09910e8fb131d54453821ea9c1c01b61bce159fa7e90dece61102"
    "c81eec011c74c70937264401ef09b602"
)
PINNED_BUCKETS = (-1317998750900907991, -7043329435003694582, 8572114751502814375)


def test_signature_is_pinned() -> None:
    values = dedupe.signature(TITLE, BODY)
    assert values is not None and values.dtype == np.uint32
    assert values.astype("<u4").tobytes().hex() == PINNED_SIGNATURE
    assert dedupe.lsh_buckets(values)[:3] == PINNED_BUCKETS


def test_permutations_are_datasketchs() -> None:
    reference = MinHash(num_perm=dedupe.NUM_PERM, seed=dedupe.MINHASH_SEED, scheme=dedupe.MINHASH_SCHEME)
    a, b = permutations(dedupe.NUM_PERM, dedupe.MINHASH_SEED)
    assert a.dtype == b.dtype == np.uint32
    assert np.array_equal(a, reference.permutations[0]) and np.array_equal(b, reference.permutations[1])
    assert np.all(a & 1 == 1)  # odd multipliers: each permutation is a bijection


def test_lsh_bands_and_rows_are_what_datasketch_chooses() -> None:
    lsh = MinHashLSH(threshold=dedupe.LSH_CANDIDATE_THRESHOLD, num_perm=dedupe.NUM_PERM)
    assert (dedupe.LSH_BANDS, dedupe.LSH_ROWS) == (lsh.b, lsh.r)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=300), st.integers(1, 2**31))
def test_signature_of_hash_values_equals_datasketch_update_batch(values: list[int], seed: int) -> None:
    reference = MinHash(num_perm=16, seed=seed, scheme="affine32", hashfunc=lambda value: value)
    reference.update_batch(values)
    ours = AffineMinHash(16, seed).signature(np.array(values, dtype=np.uint32))
    assert ours.dtype == np.uint32 and np.array_equal(ours, reference.hashvalues)


def test_fmix32_is_the_murmur3_finaliser() -> None:
    """Known values of MurmurHash3's fmix32 (0 is its fixed point), computed with Python integers."""

    def reference(value: int) -> int:
        value ^= value >> 16
        value = (value * 0x85EBCA6B) & 0xFFFFFFFF
        value ^= value >> 13
        value = (value * 0xC2B2AE35) & 0xFFFFFFFF
        return value ^ (value >> 16)

    values = [0, 1, 2, 0xDEADBEEF, 2**32 - 1, 123456789]
    assert fmix32(np.array(values, dtype=np.uint32)).tolist() == [reference(v) for v in values]
    assert reference(0) == 0
