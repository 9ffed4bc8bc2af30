"""Survey answers one or two bytes a cell: the item matrix of a point fit without its floats.

Answers on a 1-10 (or 0-100) scale are small whole numbers; kept as float64 they take eight
bytes a cell, kept as codes x - offset[j] in the smallest unsigned integer type that holds
every column's answers they take one (or two), the type's largest value standing for a
missing answer. `CompactAnswers` reads as the (n, p) float64 matrix it stands for (NaN =
missing): indexing decodes only the cells asked for, so the careless screen and the moments
run on float row blocks (csi.sample.row_block) and never on a float copy of the whole
matrix (issue 21, docs/scale.md "The memory of a point fit"). Decoding is exact (whole
numbers below 2^53), so every statistic summed from decoded float64 blocks is the one the
float matrix gives. A column that is not whole numbers in range keeps the matrix float64.
"""

from __future__ import annotations

import numpy as np

CODE_TYPES = (np.uint8, np.uint16)
BLOCK_BYTES = 1 << 20  # at most this many bytes per decoded (rows, p) float block


class CompactAnswers:
    """An (n, p) answer matrix read as float64 (NaN = missing), stored as integer codes plus
    a per-column offset (`offset` None: stored as float64 itself). Indexing (`m[a:b]`,
    `m[rows]`, `m[:, j]`, `m[np.ix_(r, c)]`) returns decoded float64 arrays; `dense()` the
    whole float matrix, which only what resamples or imputes rows needs. Other ndarray
    attributes read the dense matrix (correct, at its memory): use the methods here."""

    def __init__(self, codes: np.ndarray, offset: np.ndarray | None,
                 holes: np.ndarray | None = None):
        self.codes = codes  # (n, p): uint8 / uint16 codes, or float64 values (offset None)
        self.offset = offset  # (p,) float64, or None
        # (p,) bool: which columns may hold a missing code (none: decoding needs no mask)
        self.holes = np.ones(codes.shape[1], dtype=bool) if holes is None else holes

    @classmethod
    def empty(cls, n: int, p: int) -> CompactAnswers:
        """An all-missing matrix in the smallest code type, to be filled by `put`."""
        kind = CODE_TYPES[0]
        return cls(np.full((n, p), np.iinfo(kind).max, dtype=kind), np.zeros(p))

    @classmethod
    def of(cls, values: np.ndarray) -> CompactAnswers:
        """A float matrix (NaN = missing) stored as compactly as its columns allow."""
        values = np.asarray(values, dtype=float)
        out = cls.empty(*values.shape)
        for j in range(values.shape[1]):
            out.put(j, values[:, j])
        return out

    @classmethod
    def from_matrix(cls, values: np.ndarray) -> CompactAnswers:
        """What `of` stores, from the whole (n, p) float matrix at once (column reductions
        instead of a `put` per column; `values` is kept when stored as float64): the smallest
        code type every column's range fits, each column's codes its answers (offset 0)
        when they fit below the missing code, else its answers minus their minimum; float64
        when a column is not whole numbers in range. Decodes to the same floats as `of`."""
        n, p = values.shape
        if n == 0 or p == 0:
            return cls(np.empty((n, p), dtype=CODE_TYPES[0]), np.zeros(p), np.zeros(p, bool))
        missing = np.isnan(values)
        low = np.fmin.reduce(values, axis=0)  # NaN only for a column with no answer
        high = np.fmax.reduce(values, axis=0)
        empty = np.isnan(low)
        span = np.where(empty, 0.0, high - low)
        kind = next((t for t in CODE_TYPES if bool((span < np.iinfo(t).max).all())), None)
        if kind is not None:
            code = np.iinfo(kind).max
            shift = np.where(empty | ((low >= 0) & (high < code)), 0.0, low)
            shifted = np.where(missing, 0.0, values - shift)
            codes = shifted.astype(kind)
            if np.array_equal(codes, shifted):  # whole numbers: exact codes
                codes[missing] = code
                return cls(codes, shift, missing.any(axis=0))
        return cls(np.ascontiguousarray(values, dtype=float), None)

    # -- shape ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.codes.shape

    @property
    def ndim(self) -> int:
        return 2

    @property
    def size(self) -> int:
        return self.codes.size

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(float)

    @property
    def nbytes(self) -> int:
        """The bytes held (codes and offsets), not those of the float matrix."""
        return self.codes.nbytes + (0 if self.offset is None else self.offset.nbytes)

    @property
    def compact(self) -> bool:
        """True when stored as integer codes (False: as float64)."""
        return self.offset is not None

    def __len__(self) -> int:
        return self.codes.shape[0]

    # -- reading -------------------------------------------------------------------------
    @property
    def gaps(self) -> bool:
        """Whether a cell may be missing (False: none is)."""
        return self.offset is None or bool(self.holes.any())

    @property
    def _missing(self) -> int:
        return int(np.iinfo(self.codes.dtype).max)

    def __getitem__(self, key):
        if self.offset is None:
            return self.codes[key]
        codes = self.codes[key]
        if self.offset.any():
            offset = np.broadcast_to(self.offset, self.codes.shape)[key]  # stride 0: no copy
            out = np.add(codes, offset, dtype=float)
        else:
            out = np.asarray(codes, dtype=float)
        if np.ndim(out) == 0:
            return np.nan if self.gaps and codes == self._missing else float(out)
        if self.gaps:
            out[codes == self._missing] = np.nan
        return out

    def dense(self) -> np.ndarray:
        """The (n, p) float64 matrix (the stored one when not compact)."""
        return self.codes if self.offset is None else self[:]

    def __array__(self, dtype=None, copy=None):
        values = self.dense()
        return values if dtype is None else values.astype(dtype, copy=False)

    def blocks(self):
        """(start, stop) row ranges whose decoded blocks stay within BLOCK_BYTES."""
        n, p = self.shape
        size = max(256, BLOCK_BYTES // (8 * max(p, 1)))
        return [(start, min(start + size, n)) for start in range(0, n, size)]

    def __matmul__(self, other) -> np.ndarray:
        """X @ W a row block at a time (each row's products as the float matrix gives them)."""
        other = np.asarray(other, dtype=float)
        out = np.empty((self.shape[0],) + other.shape[1:])
        for start, stop in self.blocks():
            out[start:stop] = self[start:stop] @ other
        return out

    def min(self, axis=None, **options):
        """The smallest value (NaN when a cell is missing), as ndarray.min: over row blocks
        for the whole matrix or per column (axis 0), on the dense matrix otherwise."""
        return self._reduce(np.minimum, "min", axis, options)

    def max(self, axis=None, **options):
        """The largest value (NaN when a cell is missing), as ndarray.max (see min)."""
        return self._reduce(np.maximum, "max", axis, options)

    def _reduce(self, ufunc, name: str, axis, options: dict):
        if options or axis not in (None, 0) or self.shape[0] == 0:
            return getattr(self.dense(), name)(axis=axis, **options)
        parts = [getattr(self[a:b], name)(axis=0) for a, b in self.blocks()]
        found = ufunc.reduce(np.array(parts), axis=0)  # NaN propagates, as in ndarray.min
        return float(ufunc.reduce(found)) if axis is None else found

    def column_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Each column's lowest and highest answer, missing answers skipped (NaN when a
        column has none): np.fmin / np.fmax reduced over row blocks."""
        p = self.shape[1]
        lowest, highest = np.full(p, np.nan), np.full(p, np.nan)
        for start, stop in self.blocks():
            block = self[start:stop]
            lowest = np.fmin(lowest, np.fmin.reduce(block, axis=0))
            highest = np.fmax(highest, np.fmax.reduce(block, axis=0))
        return lowest, highest

    def rows(self, keep: np.ndarray) -> CompactAnswers:
        """The matrix of the rows `keep` selects (a bool mask or row numbers), still compact."""
        if keep.dtype == bool and keep.all():
            return self
        codes = np.ascontiguousarray(self.codes[keep])
        holes = self.holes.copy()
        for j in np.flatnonzero(holes) if self.offset is not None else ():
            holes[j] = bool((codes[:, j] == self._missing).any())  # listwise: none left
        return CompactAnswers(codes, self.offset, holes)

    # -- writing -------------------------------------------------------------------------
    def put(self, j: int, x: np.ndarray) -> None:
        """Store column j (float64, NaN = missing), widening the code type (or falling back
        to float64 storage) when its answers are not whole numbers in the type's range.
        Codes are the answers themselves when they lie in the type's range (offset 0: a
        1-10 scale decodes with one conversion), else the answers minus their minimum."""
        if self.offset is None:
            self.codes[:, j] = x
            return
        missing = np.isnan(x)
        gaps = bool(missing.any())
        answers = x[~missing] if gaps else x
        self.holes[j] = gaps
        if answers.size == 0:  # every answer missing: the column keeps the missing code
            self.offset[j] = 0.0
            self.codes[:, j] = self._missing
            return
        low, high = float(answers.min()), float(answers.max())
        kind = next((t for t in CODE_TYPES if high - low < np.iinfo(t).max), None)
        if kind is not None and np.iinfo(kind).max > self._missing:
            self._widen(kind)
        if kind is not None:
            shift = 0.0 if low >= 0 and high < self._missing else low
            shifted = answers - shift if shift else answers
            codes = shifted.astype(self.codes.dtype)
            if np.array_equal(codes, shifted):  # whole numbers: exact codes
                self.offset[j] = shift
                if gaps:
                    self.codes[:, j] = self._missing
                    self.codes[~missing, j] = codes
                else:
                    self.codes[:, j] = codes
                return
        self._to_float()
        self.codes[:, j] = x

    def _widen(self, kind) -> None:
        missing = self.codes == self._missing
        codes = self.codes.astype(kind)
        codes[missing] = np.iinfo(kind).max
        self.codes = codes

    def _to_float(self) -> None:
        self.codes = self.dense()
        self.offset = None

    def __getattr__(self, name):
        if name.startswith("_") or name in ("codes", "offset"):
            raise AttributeError(name)
        return getattr(self.dense(), name)

    def __repr__(self) -> str:
        kind = self.codes.dtype.name
        return f"CompactAnswers(shape={self.shape}, stored as {kind})"


def _on_dense(name: str):
    def method(self, *args):
        return getattr(self.dense(), name)(*args)
    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__rmatmul__", "__neg__", "__eq__", "__ne__",
              "__lt__", "__le__", "__gt__", "__ge__"):
    setattr(CompactAnswers, _name, _on_dense(_name))  # arithmetic on the float matrix
