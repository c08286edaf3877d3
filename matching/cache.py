"""On-disk cache of document unit vectors keyed by model, window size and content hash."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from matching.encoder import DocumentEmbedding
from matching.text import FieldedText, content_hash

__all__ = ["DocumentEncoder", "EmbeddingCache", "encode_documents_cached"]


class DocumentEncoder(Protocol):
    """What the cache needs of an encoder (``matching.encoder.Encoder``, or one side of
    ``matching.multilingual.MultilingualEncoder``)."""

    @property
    def cache_namespace(self) -> str: ...

    def document(
        self, units: np.ndarray, spans: Sequence[tuple[int, int]]
    ) -> DocumentEmbedding: ...

    def encode_documents(
        self, texts: Sequence[str | FieldedText], *, show_progress: bool = False
    ) -> list[DocumentEmbedding]: ...


def _slug(namespace: str) -> str:
    """A directory name for a namespace such as ``all-MiniLM-L6-v2@abc123-w120``."""
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in namespace)


class EmbeddingCache:
    """Stores one ``.npz`` per (namespace, text hash) holding unit vectors and spans."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, namespace: str, digest: str) -> Path:
        return self.root / _slug(namespace) / digest[:2] / f"{digest}.npz"

    def get(self, namespace: str, digest: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Return (units float16 (n, dim), spans int64 (n, 2)) or None when absent or corrupt."""
        path = self._path(namespace, digest)
        if not path.is_file():
            return None
        try:
            with np.load(path) as data:
                return data["units"].astype(np.float16), data["spans"].astype(np.int64)
        except (OSError, ValueError, KeyError):
            return None

    def put(self, namespace: str, digest: str, units: np.ndarray, spans: np.ndarray) -> None:
        """Write an entry atomically (a concurrent reader never sees half a file)."""
        path = self._path(namespace, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, units=units.astype(np.float16), spans=spans.astype(np.int64))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def encode_documents_cached(
    encoder: DocumentEncoder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    *,
    show_progress: bool = False,
) -> tuple[list[DocumentEmbedding], int]:
    """Embed documents, encoding only texts missing from the cache; return (embeddings, n_new)."""
    if cache is None:
        return encoder.encode_documents(texts, show_progress=show_progress), len(texts)
    namespace = encoder.cache_namespace
    digests = [content_hash(t) for t in texts]
    found: dict[str, DocumentEmbedding] = {}
    for digest in set(digests):
        entry = cache.get(namespace, digest)
        if entry is not None:
            units, spans = entry
            found[digest] = encoder.document(units, [(int(s), int(e)) for s, e in spans])
    # Duplicated texts are encoded once.
    missing: dict[str, str] = {}
    for digest, text in zip(digests, texts, strict=True):
        if digest not in found:
            missing.setdefault(digest, text)
    if missing:
        fresh = encoder.encode_documents(list(missing.values()), show_progress=show_progress)
        for digest, emb in zip(missing, fresh, strict=True):
            spans = np.array(emb.spans, dtype=np.int64).reshape(-1, 2)
            cache.put(namespace, digest, emb.units, spans)
            found[digest] = emb
    return [found[d] for d in digests], len(missing)
