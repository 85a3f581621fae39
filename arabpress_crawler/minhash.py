"""MinHash signatures of datasketch's ``affine32`` scheme, computed with numpy in one pass per text.

The dedupe stage (:mod:`arabpress_crawler.pipelines.dedupe`) stores its signatures and LSH bands in the
database, so they must stay exactly those of ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` fed
with the same 32-bit hash values: ``tests/test_pipelines_fast_paths.py`` compares both on random and
article-sized texts and pins one signature. What datasketch does, and this module does the same way:

* the permutations are drawn once from ``numpy.random.RandomState(seed)``: ``a`` odd in ``[1, 2**32)``,
  ``b`` in ``[0, 2**32)``;
* each input hash is mixed by the MurmurHash3 finaliser (``fmix32``), then mapped by every permutation
  ``h -> a * h + b`` modulo ``2**32``; the signature is the minimum of each permutation over the inputs.

Why not datasketch itself at run time: importing any part of the package imports all of it, and its LSH
module imports SciPy (about 0.3 s of CPU at every writer start, for a ``quad`` integral this project computes
once, see :data:`LSH_BANDS`); and a ``MinHash`` object per page re-validated its permutations and hashed
its inputs in a Python call each. datasketch stays the reference the tests check against.
"""

from __future__ import annotations

import numpy as np

#: The MurmurHash3 ``fmix32`` finaliser's shifts and multipliers (datasketch's ``_FMIX_CONSTANTS[32]``).
_FMIX_SHIFT_1, _FMIX_MULTIPLY_1 = np.uint32(16), np.uint32(0x85EBCA6B)
_FMIX_SHIFT_2, _FMIX_MULTIPLY_2 = np.uint32(13), np.uint32(0xC2B2AE35)
_FMIX_SHIFT_3 = np.uint32(16)
WIDTH = 32


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` parameters of ``num_perm`` affine permutations, as datasketch draws them for ``seed``."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << (WIDTH - 1), num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << WIDTH, num_perm, dtype=np.uint32)
    return a, b


def fmix32(values: np.ndarray) -> np.ndarray:
    """The MurmurHash3 finaliser of each ``uint32`` value (a bijection; multiplication wraps around)."""
    values = values ^ (values >> _FMIX_SHIFT_1)
    values = values * _FMIX_MULTIPLY_1
    values = values ^ (values >> _FMIX_SHIFT_2)
    values = values * _FMIX_MULTIPLY_2
    return values ^ (values >> _FMIX_SHIFT_3)


class AffineMinHash:
    """The MinHash of sets of 32-bit hash values under fixed permutations (drawn once, shared by every text)."""

    def __init__(self, num_perm: int, seed: int) -> None:
        a, b = permutations(num_perm, seed)
        self.num_perm = num_perm
        self._a = a.reshape(1, -1)
        self._b = b.reshape(1, -1)

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """The ``num_perm`` minimum permuted values of ``hashes`` (a non-empty ``uint32`` array)."""
        mixed = fmix32(hashes.astype(np.uint32, copy=False)).reshape(-1, 1)
        return (mixed * self._a + self._b).min(axis=0)
