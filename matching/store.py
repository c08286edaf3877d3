"""Array storage shared between processes, and the growable row storage of a match index.

Files. An index is saved as a *version*: a directory of ``.npy`` files, one per named array,
and a ``manifest.json`` (dtype, shape and CRC-32 of every array, plus free-form metadata)
written last. The version is published by replacing the small ``CURRENT`` file that names it
(write to a temporary file, then ``os.replace``), so a reader sees the previous version or the
new one, never half of one. Readers open the arrays as copy-on-write memory maps: every process
that opens the same version shares the same page-cache pages, and a process that changes a row
in place (an incremental update) copies only the pages it writes. A version whose files do not
match their manifest (a crash mid-write, a truncated or corrupt file) raises ``StoreError``; the
caller rebuilds. Builders take an exclusive ``flock`` so that two processes do not build the
same index at once.

Rows. ``ProfileStore`` keeps the profiles of a match index in arrays with spare capacity: the
pooled vectors (one row per profile, in the index's row order), every passage (unit) vector of
every profile stacked in one float16 matrix with its span, weight and owning row, the texts as
UTF-8 bytes, and the ids, areas and NAICS codes as strings. Variable-length parts (units, texts)
live in flat arrays addressed by a per-row start and count: a changed profile is written at the
end of the flat arrays and its old part is left unreferenced until the next save, which writes
everything back to back in row order.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

__all__ = [
    "ProfileStore",
    "StoreError",
    "TermTable",
    "Version",
    "current_version",
    "exclusive",
    "grow",
    "mapped_file",
    "open_version",
    "publish",
]

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = "build.lock"
FORMAT = 1
# Separator of the members of a string-set column (areas, NAICS codes); never inside a member.
SET_SEPARATOR = "\n"


class StoreError(Exception):
    """A version that cannot be used: missing, half-written, corrupt or of another format."""


@dataclass(frozen=True)
class Version:
    """An opened version: its name, its arrays (copy-on-write maps) and its metadata."""

    name: str
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _crc(array: np.ndarray) -> int:
    if array.size == 0:
        return 0
    return zlib.crc32(np.ascontiguousarray(array).reshape(-1).view(np.uint8).data)


def _file_crc(path: Path, nbytes: int) -> int:
    """CRC-32 of the data of a .npy file (its last `nbytes` bytes), read with plain reads:
    checking through the memory map would map every page into this process."""
    crc = 0
    if not nbytes:
        return crc
    with open(path, "rb") as fh:
        fh.seek(-nbytes, os.SEEK_END)
        while chunk := fh.read(1 << 24):
            crc = zlib.crc32(chunk, crc)
    return crc


def publish(
    root: Path, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any], *, keep: int = 2
) -> str:
    """Write a new version under ``root`` and make it the current one; returns its name."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    # Names sort by creation time, so pruning keeps the newest.
    name = f"v{time.time_ns():016x}-{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        files: dict[str, dict[str, Any]] = {}
        for key, value in arrays.items():
            array = np.ascontiguousarray(value)
            if array.dtype.hasobject:
                raise ValueError(f"array {key!r} holds Python objects")
            with open(tmp / f"{key}.npy", "wb") as fh:
                np.lib.format.write_array(fh, array, allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
            files[key] = {
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "crc32": _crc(array),
            }
        manifest = {"format": FORMAT, "arrays": files, "meta": dict(meta)}
        with open(tmp / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, root / name)
        _fsync_dir(root)
        pointer = root / f".{CURRENT}-{uuid.uuid4().hex[:8]}"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, root / CURRENT)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune(root, keep=keep)
    return name


def current_version(root: Path) -> str | None:
    """Name of the published version under ``root``, or None."""
    try:
        name = (Path(root) / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return name or None


def open_version(root: Path, name: str, *, verify: bool = True) -> Version:
    """Open a version's arrays as copy-on-write memory maps, checked against its manifest."""
    directory = Path(root) / name
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"version {name}: unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StoreError(f"version {name}: unknown format")
    arrays: dict[str, np.ndarray] = {}
    for key, spec in manifest["arrays"].items():
        path = directory / f"{key}.npy"
        try:
            if int(np.prod(spec["shape"])) == 0:
                array = np.load(path, allow_pickle=False)
            else:
                # Copy-on-write: pages are shared until this process writes to one. A plain
                # ndarray view of the map: indexing an np.memmap costs more per call.
                array = np.load(path, mmap_mode="c", allow_pickle=False).view(np.ndarray)
        except (OSError, ValueError, EOFError) as exc:
            raise StoreError(f"version {name}: array {key} unreadable ({exc})") from exc
        if array.dtype.str != spec["dtype"] or list(array.shape) != spec["shape"]:
            raise StoreError(f"version {name}: array {key} does not match its manifest")
        if verify and _file_crc(path, array.nbytes) != spec["crc32"]:
            raise StoreError(f"version {name}: array {key} is corrupt")
        arrays[key] = array
    return Version(name=name, arrays=arrays, meta=dict(manifest.get("meta") or {}))


def mapped_file(array: Any) -> str | None:
    """The file an array's memory is mapped from (through views), or None."""
    while isinstance(array, np.ndarray):
        if isinstance(array, np.memmap):
            return str(array.filename)
        array = array.base
    return None


def prune(root: Path, *, keep: int = 2) -> None:
    """Delete all but the newest ``keep`` versions (never the current one) and stale
    temporary directories. Processes that still map a deleted version keep their pages."""
    root = Path(root)
    current = current_version(root)
    versions = sorted(p for p in root.glob("v*") if p.is_dir())
    for path in versions[: max(0, len(versions) - keep)]:
        if path.name != current:
            shutil.rmtree(path, ignore_errors=True)
    hour_ago = time.time() - 3600
    for path in root.glob(".tmp-*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < hour_ago:
                shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def exclusive(root: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold the build lock of ``root`` (an flock, released when the block ends or the process
    dies); yields False at once when ``wait`` is off and another holder has it."""
    import fcntl  # POSIX only; imported here so the rest of the module works everywhere

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def grow(array: np.ndarray, needed: int) -> np.ndarray:
    """``array`` with at least ``needed`` rows: itself when it has them, else a private copy
    with room to spare (doubling, so repeated appends stay linear)."""
    if needed <= len(array):
        return array
    size = max(needed, 2 * len(array), 16)
    out = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
    out[: len(array)] = array
    return out


def _key(term: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(term, digest_size=8).digest(), "little")


class TermTable:
    """An immutable list of strings in arrays (UTF-8 bytes back to back, offsets, and a sorted
    64-bit hash per string): lookups by value without a Python dict, so a vocabulary of
    millions of terms costs each process nothing but shared pages."""

    def __init__(
        self, blob: np.ndarray, offsets: np.ndarray, hashes: np.ndarray, order: np.ndarray
    ) -> None:
        self.blob = blob
        self.offsets = offsets
        self.hashes = hashes  # sorted
        self.order = order  # index of the string behind each sorted hash

    @classmethod
    def build(cls, strings: Sequence[str]) -> TermTable:
        """Table of ``strings`` (looked up by their position in this sequence)."""
        encoded = [s.encode("utf-8") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        if encoded:
            np.cumsum([len(b) for b in encoded], out=offsets[1:])
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
        keys = np.fromiter((_key(b) for b in encoded), dtype=np.uint64, count=len(encoded))
        order = np.argsort(keys, kind="stable").astype(np.int32)
        return cls(blob, offsets, keys[order], order)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")

    def lookup(self, strings: Sequence[str]) -> np.ndarray:
        """Position of each string in the table, -1 where absent."""
        out = np.full(len(strings), -1, dtype=np.int64)
        if not len(self) or not strings:
            return out
        encoded = [s.encode("utf-8") for s in strings]
        keys = np.fromiter((_key(b) for b in encoded), dtype=np.uint64, count=len(encoded))
        lo = np.searchsorted(self.hashes, keys, side="left")
        hi = np.searchsorted(self.hashes, keys, side="right")
        for i in np.nonzero(hi > lo)[0]:
            # Equal hashes are compared by value: a collision never maps a term to another.
            for j in range(int(lo[i]), int(hi[i])):
                candidate = int(self.order[j])
                start, end = self.offsets[candidate], self.offsets[candidate + 1]
                if bytes(self.blob[start:end]) == encoded[i]:
                    out[i] = candidate
                    break
        return out

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The table as named arrays, for ``publish``."""
        return {
            f"{prefix}.blob": self.blob,
            f"{prefix}.offsets": self.offsets,
            f"{prefix}.hashes": self.hashes,
            f"{prefix}.order": self.order,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> TermTable:
        """The table saved by :meth:`arrays`."""
        return cls(
            arrays[f"{prefix}.blob"],
            arrays[f"{prefix}.offsets"],
            arrays[f"{prefix}.hashes"],
            arrays[f"{prefix}.order"],
        )


def _gather_index(old_starts: np.ndarray, counts: np.ndarray, new_starts: np.ndarray) -> np.ndarray:
    """Flat positions that copy runs ``[old_start, old_start + count)`` to back-to-back runs."""
    total = int(counts.sum())
    shift = np.repeat(old_starts.astype(np.int64) - new_starts.astype(np.int64), counts)
    return np.arange(total, dtype=np.int64) + shift


def _spare(n: int) -> int:
    """Room left for rows added after a save before the index has to be written again."""
    return max(1024, n // 4)


class ProfileStore:
    """Rows of profiles in growable arrays; row ``i`` is the ``i``-th profile of the index.

    Per row: ``pooled`` (float32 vector), ``ids`` / ``texts`` / ``areas`` / ``naics`` (UTF-8
    parts), and the row's run of units. Per unit: ``units`` (float16 vector), ``spans``
    (character offsets in the text), ``weights`` (float32, 1.0 unless set) and ``owner`` (its
    row, or -1 once the row was rewritten or removed)."""

    ROW_ARRAYS = ("pooled", "unit_start", "unit_count")
    UNIT_ARRAYS = ("units", "spans", "weights", "owner")
    STRINGS = ("ids", "texts", "areas", "naics")

    def __init__(self, arrays: Mapping[str, np.ndarray], n: int, used: Mapping[str, int]) -> None:
        self.a: dict[str, np.ndarray] = dict(arrays)
        self.n = n
        # How much of each flat array (units, and the bytes of each string column) is in use.
        self.used: dict[str, int] = dict(used)
        self._runs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    # -- building -------------------------------------------------------------------------

    @classmethod
    def empty(cls, dim: int, capacity: int = 0, unit_capacity: int = 0) -> ProfileStore:
        """A store without rows."""
        arrays: dict[str, np.ndarray] = {
            "pooled": np.zeros((capacity, dim), dtype=np.float32),
            "unit_start": np.zeros(capacity, dtype=np.int64),
            "unit_count": np.zeros(capacity, dtype=np.int32),
            "units": np.zeros((unit_capacity, dim), dtype=np.float16),
            "spans": np.zeros((unit_capacity, 2), dtype=np.int32),
            "weights": np.ones(unit_capacity, dtype=np.float32),
            "owner": np.full(unit_capacity, -1, dtype=np.int32),
        }
        for name in cls.STRINGS:
            arrays[f"{name}.start"] = np.zeros(capacity, dtype=np.int64)
            arrays[f"{name}.count"] = np.zeros(capacity, dtype=np.int32)
            arrays[f"{name}.bytes"] = np.zeros(0, dtype=np.uint8)
        return cls(arrays, 0, {"units": 0, **{name: 0 for name in cls.STRINGS}})

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self.a["pooled"].shape[1])

    def _reserve_rows(self, needed: int) -> None:
        if needed <= len(self.a["pooled"]):
            return
        for name in (
            *self.ROW_ARRAYS,
            *(f"{s}.{p}" for s in self.STRINGS for p in ("start", "count")),
        ):
            self.a[name] = grow(self.a[name], needed)

    def _reserve_units(self, needed: int) -> None:
        if needed <= len(self.a["units"]):
            return
        old = len(self.a["units"])
        for name in self.UNIT_ARRAYS:
            self.a[name] = grow(self.a[name], needed)
        self.a["weights"][old:] = 1.0
        self.a["owner"][old:] = -1

    # -- rows -----------------------------------------------------------------------------

    def _put_string(self, name: str, row: int, value: str) -> None:
        data = value.encode("utf-8")
        start = self.used[name]
        flat = self.a[f"{name}.bytes"]
        if start + len(data) > len(flat):
            flat = self.a[f"{name}.bytes"] = grow(flat, start + len(data))
        flat[start : start + len(data)] = np.frombuffer(data, dtype=np.uint8)
        self.a[f"{name}.start"][row] = start
        self.a[f"{name}.count"][row] = len(data)
        self.used[name] = start + len(data)

    def string(self, name: str, row: int) -> str:
        """A string column's value at ``row``."""
        start = int(self.a[f"{name}.start"][row])
        end = start + int(self.a[f"{name}.count"][row])
        return bytes(self.a[f"{name}.bytes"][start:end]).decode("utf-8")

    def string_set(self, name: str, row: int) -> frozenset[str]:
        """A string-set column's members at ``row``."""
        value = self.string(name, row)
        return frozenset(value.split(SET_SEPARATOR)) if value else frozenset()

    def column(self, name: str) -> Sequence[str]:
        """A read-only sequence view of a string column (decoded on access)."""
        return _Column(self, name)

    def unit_runs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows that have units, flat positions of their units in row order, where each of
        those rows starts in that order): what ``np.ufunc.reduceat`` needs. Cached."""
        if self._runs is None:
            count = self.a["unit_count"][: self.n].astype(np.int64)
            rows = np.flatnonzero(count > 0)
            counts = count[rows]
            starts = np.zeros(len(rows), dtype=np.int64)
            if len(rows):
                np.cumsum(counts[:-1], out=starts[1:])
            take = _gather_index(self.a["unit_start"][: self.n][rows], counts, starts)
            self._runs = (rows, take, starts)
        return self._runs

    def put(
        self,
        row: int,
        *,
        id: str,
        text: str,
        areas: Iterable[str],
        naics: Iterable[str],
        pooled: np.ndarray,
        units: np.ndarray,
        spans: Sequence[tuple[int, int]],
        weights: np.ndarray | None = None,
    ) -> None:
        """Write a profile at ``row`` (``row == n`` appends); ``weights`` per unit, 1 if None."""
        if row > self.n:
            raise IndexError(f"row {row} is past the end ({self.n})")
        self._runs = None
        if row == self.n:
            self._reserve_rows(row + 1)
            self.n += 1
        else:
            self._release_units(row)
        self.a["pooled"][row] = pooled
        k = len(units)
        start = self.used["units"]
        self._reserve_units(start + k)
        self.a["units"][start : start + k] = units
        self.a["spans"][start : start + k] = np.asarray(spans, dtype=np.int32).reshape(-1, 2)
        self.a["weights"][start : start + k] = 1.0 if weights is None else weights
        self.a["owner"][start : start + k] = row
        self.a["unit_start"][row] = start
        self.a["unit_count"][row] = k
        self.used["units"] = start + k
        self._put_string("ids", row, id)
        self._put_string("texts", row, text)
        self._put_string("areas", row, SET_SEPARATOR.join(sorted(areas)))
        self._put_string("naics", row, SET_SEPARATOR.join(sorted(naics)))

    def _release_units(self, row: int) -> None:
        start = int(self.a["unit_start"][row])
        self.a["owner"][start : start + int(self.a["unit_count"][row])] = -1

    def unit_slice(self, row: int) -> slice:
        """Where ``row``'s units are in the flat unit arrays."""
        start = int(self.a["unit_start"][row])
        return slice(start, start + int(self.a["unit_count"][row]))

    def move(self, src: int, dst: int) -> None:
        """Put row ``src`` at ``dst`` (whose content is dropped); ``src`` is left unused."""
        self._runs = None
        self._release_units(dst)
        for name in self.ROW_ARRAYS:
            self.a[name][dst] = self.a[name][src]
        for name in self.STRINGS:
            for part in ("start", "count"):
                self.a[f"{name}.{part}"][dst] = self.a[f"{name}.{part}"][src]
        self.a["owner"][self.unit_slice(dst)] = dst
        self.a["unit_count"][src] = 0  # its units are dst's now

    def truncate(self, n: int) -> None:
        """Drop the rows from ``n`` on."""
        self._runs = None
        for row in range(n, self.n):
            self._release_units(row)
        self.n = min(self.n, n)

    # -- persistence ----------------------------------------------------------------------

    def compact_arrays(self, *, spare: bool = True) -> dict[str, np.ndarray]:
        """Everything back to back in row order (units of row 0, then row 1, ...), with spare
        room at the end of each array when ``spare``, named for ``publish``."""
        n = self.n
        rows_extra = _spare(n) if spare else 0
        counts = self.a["unit_count"][:n].astype(np.int64)
        total_units = int(counts.sum())
        units_extra = max(4096, total_units // 4) if spare else 0
        out: dict[str, np.ndarray] = {}
        pooled = np.zeros((n + rows_extra, self.dim), dtype=np.float32)
        pooled[:n] = self.a["pooled"][:n]
        out["pooled"] = pooled
        starts = np.zeros(n + rows_extra, dtype=np.int64)
        if n:
            np.cumsum(counts[:-1], out=starts[1:n])
        out["unit_start"] = starts
        out["unit_count"] = np.zeros(n + rows_extra, dtype=np.int32)
        out["unit_count"][:n] = counts
        take = _gather_index(self.a["unit_start"][:n], counts, starts[:n])
        size = total_units + units_extra
        for name in self.UNIT_ARRAYS:
            source = self.a[name]
            array = np.zeros((size, *source.shape[1:]), dtype=source.dtype)
            array[:total_units] = source[take]
            out[name] = array
        out["weights"][total_units:] = 1.0
        out["owner"][:total_units] = np.repeat(np.arange(n, dtype=np.int32), counts)
        out["owner"][total_units:] = -1
        for name in self.STRINGS:
            lengths = self.a[f"{name}.count"][:n].astype(np.int64)
            total = int(lengths.sum())
            extra = max(65536 if name == "texts" else 4096, total // 4) if spare else 0
            flat = np.zeros(total + extra, dtype=np.uint8)
            new_starts = np.zeros(n + rows_extra, dtype=np.int64)
            if n:
                np.cumsum(lengths[:-1], out=new_starts[1:n])
                old_starts = self.a[f"{name}.start"][:n]
                source = self.a[f"{name}.bytes"]
                if np.array_equal(old_starts, new_starts[:n]):
                    flat[:total] = source[:total]  # already back to back
                elif total:
                    flat[:total] = np.concatenate(
                        [source[s : s + c] for s, c in zip(old_starts, lengths, strict=True)]
                    )
            out[f"{name}.bytes"] = flat
            out[f"{name}.start"] = new_starts
            out[f"{name}.count"] = np.zeros(n + rows_extra, dtype=np.int32)
            out[f"{name}.count"][:n] = lengths
        return {f"store.{k}": v for k, v in out.items()}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> ProfileStore:
        """A store over arrays saved by :meth:`compact_arrays` (kept as they are: maps stay
        maps)."""
        own = {k.removeprefix("store."): v for k, v in arrays.items() if k.startswith("store.")}
        n = int(meta["rows"])
        used = {"units": int(own["unit_count"][:n].sum())}
        for name in cls.STRINGS:
            used[name] = int(own[f"{name}.count"][:n].sum())
        return cls(own, n, used)


class _Column(Sequence[str]):
    """A string column of a store as a sequence."""

    def __init__(self, store: ProfileStore, name: str) -> None:
        self._store = store
        self._name = name

    def __len__(self) -> int:
        return self._store.n

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._store.string(self._name, i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._store.string(self._name, index)
