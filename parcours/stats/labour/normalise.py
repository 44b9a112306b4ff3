"""Free-text job titles -> ranked occupations (ROME codes, ESCO URIs, any coded label list).

People and employers type job titles with typos, without accents, in one gender only, with
abbreviations ("dev web", "assistante admin") and with noise ("H/F", "CDI", "temps plein",
"1 800 € brut"). :class:`JobTitleNormaliser` is fitted on (label, code) pairs (for ROME: fiche
labels and every appellation form; for ESCO: preferred and alternative labels) and answers
``query(text)`` with the best codes and scores in [0, 1].

Method (see docs/labour.md for the measured effect):

1. *Cleaning* (:func:`clean_tokens`): ``" / "`` and ``(e)`` gender marks resolved, accents and
   case dropped, noise removed from queries (contract types, H/F, salaries, "urgent"...),
   punctuation split, abbreviations expanded from a table, French feminine endings folded onto
   the masculine (-euse/-rice -> -eur, -ière -> -ier, -ienne -> -ien, -ive -> -if, -ante ->
   -ant...), stop words dropped. Labels and queries go through the same function.
2. *Spelling*: a query word unknown to the labels is replaced by the most frequent known word one
   edit away (symmetric-deletion lookup), so "cuisiner", "electricein" find their words.
3. *Retrieval*: cosine on a word TF-IDF (unigrams and bigrams) and a character n-gram TF-IDF
   (within words), mixed with weight ``word_weight``; one sparse product per chunk of queries;
   the ``n_candidates`` best labels go on.
4. *Re-ranking*: each candidate label scores ``retrieval cosine``, ``token-set ratio``
   (rapidfuzz), ``share of query words in the label`` and ``share of label words in the query``,
   mixed with weights that sum to 1; a code scores as its best label.
5. *Code documents*: the code's score is blended (``doc_weight``) with the cosine between the
   query and a document made of all the code's labels plus optional ``code_texts`` (for ROME,
   the fiche definition and its core skills), which helps titles whose words appear in no
   single label of the right code. Every score stays in [0, 1].

The fitted object is plain Python + scipy/sklearn and is saved with :meth:`save` (joblib), so an
import command can fit once and every request loads the result.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import joblib
import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from sklearn.feature_extraction.text import TfidfVectorizer
from sparse_dot_topn import sp_matmul_topn
from unidecode import unidecode

from parcours.stats.errors import BadInputError
from parcours.stats.labour.semantic import SemanticIndex, SentenceEncoder, shared_encoder

#: Weight of the semantic stage in the normalisers the project fits (chosen on the tuning
#: split, see docs/labour.md); ``JobTitleNormaliser()`` alone stays lexical.
SEMANTIC_WEIGHT = 0.45
#: Weight of the raw character n-gram cosine in the ESCO normaliser's fusion (chosen on the ESCO
#: tuning splits, seeds 1 and 2: docs/labour.md); the ROME normaliser does not use it.
ESCO_CHAR_WEIGHT = 0.15

# --------------------------------------------------------------------------- text cleaning

#: Words and phrases that say nothing about the occupation (contract, gender, pay, urgency...).
NOISE_PATTERNS = [
    r"\(?\b[hfm]\s*/\s*[hfm](\s*/\s*[hfm])?\b\)?",
    r"\bcdi\b|\bcdd\b|\bcdic\b|\binterim\b",
    r"\b(temps|tps)\s+(plein|partiel|complet)\b|\bmi[\s-]temps\b|\b\d+\s*h(eures)?(\s*/\s*sem(aine)?)?\b",
    r"\b(poste|offre)s?\b|\bnous recrutons\b|\brecrute\b|\bon recherche\b",
    r"\burgent\b|\bimmediat\b|\basap\b|\bdes que possible\b|\bdebutant(e)?s?( accepte(e)?s?)?\b",
    r"\b(junior|senior|confirme(e)?|experimente(e)?)\b|\b(en )?alternance\b",
    r"\d[\d\s.,]*\s*(k\s*)?(euros?|eur|e\b)(\s*(brut|net))?(\s*/\s*|\s+par\s+)?(mois|an|heure|h)?",
    r"\bsalaire\b|\bsmic\b|\bbrut\b|\bnet\b|\bprimes?\b|\bmutuelle\b|\btickets? resto\b",
    r"\bsur\s+[a-z]+\s*\(\d{2,3}\)|\(\d{2,3}\)|\b\d{5}\b",
]
_NOISE = re.compile("|".join(f"(?:{p})" for p in NOISE_PATTERNS))
_GENDER_PAREN = re.compile(r"\((e|le|ne|se|trice|ere|ive|euse|ice)\)")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

STOP_WORDS = frozenset(
    {
        "a",
        "au",
        "aux",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "un",
        "une",
        "pour",
        "par",
        "sur",
        "dans",
        "avec",
        "ou",
        "chez",
        "son",
        "sa",
        "ses",
    }
)
#: Tokens are the space-separated words left by :func:`clean_tokens`.
WORD_PATTERN = r"\S+"

#: Abbreviations and short forms as people type them -> words of the official labels.
#: Applied to labels and queries alike, so an abbreviation that also occurs in an official
#: label ("dev", "admin") is expanded on both sides.
ABBREVIATIONS: dict[str, str] = {
    "dev": "developpeur",
    "devs": "developpeur",
    "developeur": "developpeur",
    "admin": "administratif",
    "adm": "administratif",
    "assist": "assistant",
    "asst": "assistant",
    "compta": "comptable",
    "comptab": "comptable",
    "resp": "responsable",
    "respo": "responsable",
    "rsp": "responsable",
    "tech": "technicien",
    "techn": "technicien",
    "agt": "agent",
    "ash": "agent service hospitalier",
    "asv": "auxiliaire specialise veterinaire",
    "avs": "auxiliaire vie sociale",
    "aesh": "accompagnant eleve situation handicap",
    "atsem": "agent specialise ecoles maternelles",
    "ide": "infirmier",
    "idel": "infirmier liberal",
    "pl": "poids lourd",
    "spl": "super poids lourd",
    "vl": "vehicule leger",
    "cuisto": "cuisinier",
    "manut": "manutentionnaire",
    "prepa": "preparateur",
    "prep": "preparateur",
    "magas": "magasinier",
    "secr": "secretaire",
    "secret": "secretaire",
    "cond": "conducteur",
    "chauff": "chauffeur",
    "elec": "electricien",
    "electro": "electricien",
    "plomb": "plombier",
    "maint": "maintenance",
    "info": "informatique",
    "dir": "directeur",
    "adj": "adjoint",
    "rh": "ressources humaines",
    "drh": "directeur ressources humaines",
    "commerc": "commercial",
    "cial": "commercial",
    "ehpad": "etablissement personnes agees",
    "nounou": "garde enfant",
    "vendeu": "vendeur",
    "puer": "puericulture",
    "pueri": "puericulture",
    "logist": "logistique",
    "it": "informatique",
    "fullstack": "full stack",
    "frontend": "front end",
    "backend": "back end",
    "nett": "nettoyage",
    "entret": "entretien",
}
#: Phrases people use for an official title (applied to the cleaned text, before folding).
PHRASES: dict[str, str] = {
    "femme de menage": "employe de menage",
    "homme de menage": "employe de menage",
    "femme de chambre": "employe d etage",
    "valet de chambre": "employe d etage",
    "baby sitter": "babysitter",
}
#: Whole texts that mean something more precise in job ads than in the referential: an
#: "agent d'entretien" with nothing after it is a cleaning job (ROME K2205 "entretien-propreté").
WHOLE_TEXTS: dict[str, str] = {"agent d entretien": "agent d entretien proprete de locaux"}

#: Abbreviations expanded only as the first word of a text ("aux de vie", "as de nuit").
FIRST_WORD_ABBREVIATIONS = {"aux": "auxiliaire", "as": "aide soignant", "agt": "agent"}

#: Feminine -> masculine word endings, longest first (applied to words of 5+ letters).
GENDER_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("trices", "teur"),
    ("trice", "teur"),
    ("drice", "deur"),
    ("euses", "eur"),
    ("euse", "eur"),
    ("eures", "eur"),
    ("eure", "eur"),
    ("ieres", "ier"),
    ("iere", "ier"),
    ("iennes", "ien"),
    ("ienne", "ien"),
    ("ennes", "en"),
    ("enne", "en"),
    ("onnes", "on"),
    ("onne", "on"),
    ("elles", "el"),
    ("elle", "el"),
    ("ives", "if"),
    ("ive", "if"),
    ("antes", "ant"),
    ("ante", "ant"),
    ("entes", "ent"),
    ("ente", "ent"),
    ("eres", "er"),
    ("ere", "er"),
    ("ees", "e"),
    ("ee", "e"),
    ("ointes", "oint"),
    ("ointe", "oint"),
    ("ales", "al"),
    ("ale", "al"),
    ("ette", "et"),
)
#: Whole-word feminine forms the suffix rules miss.
GENDER_WORDS = {
    "cheffe": "chef",
    "commise": "commis",
    "maitresse": "maitre",
    "hotesse": "hote",
    "fille": "garcon",
}


@lru_cache(maxsize=65536)
def fold_gender(word: str) -> str:
    """Map a French feminine (or plural feminine) word ending onto the masculine one.

    The same folding is applied to labels and queries, so a collision between two unrelated
    words only matters if both occur in competing labels.
    """
    if word in GENDER_WORDS:
        return GENDER_WORDS[word]
    if len(word) >= 5 and word[-1] == "s" and word[-2] not in "su":
        word = word[:-1]  # plural: "lourds", "enfants" (same rule on both sides)
    if len(word) < 5:
        return word
    for suffix, replacement in GENDER_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)] + replacement
    return word


def _masculine(text: str) -> str:
    """Keep the masculine side of a gender pair: ``"agent / agente de x"`` -> ``"agent de x"``.

    ROME writes pairs with spaces (``Agent / Agente``), ESCO without (``aide-soignant/aide-
    soignante``). A slash counts as a gender mark only when both sides start alike; otherwise
    (``homme / femme de plancher``, ``chauffeur/livreur``) both sides are kept.
    """
    parts = re.split(r"\s*/\s*", text)
    if len(parts) == 2 and parts[0] and parts[1]:
        left, right = parts
        if left[:3] == right[:3]:
            tail = right.split()[len(left.split()) :]
            return " ".join([left, *tail])
    return text.replace("/", " ")


def basic_clean(text: str, *, noise: bool = True) -> str:
    """Accents, case, gender marks and (with ``noise``) noise words removed; punctuation -> spaces.

    Noise removal is meant for what people type; official labels are cleaned without it so
    that a real label word such as "recherche" ("Chargé de recherche") is never dropped.
    """
    text = unidecode(str(text)).lower()
    if noise:
        text = _NOISE.sub(" ", text)
    text = _GENDER_PAREN.sub("", _masculine(text))
    return _NON_ALNUM.sub(" ", text).strip()


def clean_tokens(
    text: str, abbreviations: Mapping[str, str] = ABBREVIATIONS, *, noise: bool = True
) -> list[str]:
    """Clean a job title into folded content words.

    Parameters
    ----------
    text : str
        A label or a query as typed.
    abbreviations : mapping, optional
        Short form -> expansion (words separated by spaces); :data:`ABBREVIATIONS` by default.
    noise : bool, default True
        Remove noise words (contract, pay, H/F...); False for official labels.

    Returns
    -------
    list of str
    """
    cleaned = basic_clean(text, noise=noise)
    cleaned = WHOLE_TEXTS.get(cleaned, cleaned)
    for phrase, replacement in PHRASES.items():
        if phrase in cleaned:
            cleaned = re.sub(rf"\b{phrase}\b", replacement, cleaned)
    out: list[str] = []
    for position, word in enumerate(cleaned.split()):
        if position == 0 and word in FIRST_WORD_ABBREVIATIONS:
            expansion = FIRST_WORD_ABBREVIATIONS[word]
        else:
            expansion = abbreviations.get(word, word)
        for piece in expansion.split():
            if piece not in STOP_WORDS:
                out.append(fold_gender(piece))
    return out


# --------------------------------------------------------------------------- normaliser


class Match(NamedTuple):
    """One ranked answer: the code, its label and a score in [0, 1]."""

    code: str
    label: str
    score: float


WORD_CACHE_LIMIT = 200_000


def _feature_ids(vectorizer: TfidfVectorizer, texts: list[str], word_cache: dict | None) -> list[list[int]]:
    """Vocabulary ids of each text's terms. A ``char_wb`` analyser makes its n-grams word by
    word, so with a ``word_cache`` each distinct word is analysed once and reused."""
    analyse, vocabulary = vectorizer.build_analyzer(), vectorizer.vocabulary_
    if word_cache is None or vectorizer.analyzer != "char_wb":
        return [[vocabulary[g] for g in analyse(text) if g in vocabulary] for text in texts]
    if len(word_cache) > WORD_CACHE_LIMIT:
        word_cache.clear()
    out = []
    for text in texts:
        ids: list[int] = []
        for word in text.split():
            cached = word_cache.get(word)
            if cached is None:
                cached = word_cache[word] = [vocabulary[g] for g in analyse(word) if g in vocabulary]
            ids += cached
        out.append(ids)
    return out


def _tfidf_rows(
    blocks: list[tuple[TfidfVectorizer, float, int]],
    texts: list[str],
    n_features: int,
    word_cache: dict | None = None,
) -> sp.csr_matrix:
    """TF-IDF rows for ``texts`` from fitted vectorizers, side by side, each block scaled.

    Same numbers as ``TfidfVectorizer.transform`` (sublinear tf, idf, L2 norm per block)
    without its per-call validation, which dominates the cost of one short query; the counting
    and weighting are vectorised over the whole chunk. ``word_cache`` (word -> ids) spares
    re-analysing known words for character n-grams (texts must be lower-case, single-spaced).
    """
    all_rows, all_cols, all_vals = [], [], []
    for vectorizer, weight, offset in blocks:
        per_text = _feature_ids(vectorizer, texts, word_cache)
        lengths = np.fromiter((len(c) for c in per_text), dtype=np.int64, count=len(texts))
        if not lengths.sum():
            continue
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        cols = np.fromiter((j for c in per_text for j in c), dtype=np.int64, count=int(lengths.sum()))
        keys, tf = np.unique(rows * n_features + cols, return_counts=True)
        rows, cols = keys // n_features, keys % n_features
        tf = tf.astype(np.float64)
        values = ((1.0 + np.log(tf)) if vectorizer.sublinear_tf else tf) * vectorizer.idf_[cols]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts)))
        all_rows.append(rows)
        all_cols.append(cols + offset)
        all_vals.append(values * (weight / norms[rows]))
    if not all_rows:
        return sp.csr_matrix((len(texts), n_features), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(all_vals).astype(np.float32), (np.concatenate(all_rows), np.concatenate(all_cols))),
        shape=(len(texts), n_features),
    )


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _best_per_group(rows: np.ndarray, groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Positions of the highest value of each (row, group) pair (ties: the first position)."""
    order = np.lexsort((-values, groups, rows))
    key = rows[order] * n_groups + groups[order]
    return order[np.r_[True, key[1:] != key[:-1]]] if order.size else order


def _top_k(row: np.ndarray, k: int) -> np.ndarray:
    if k >= row.size:
        return np.argsort(-row, kind="stable")
    part = np.argpartition(-row, k)[:k]
    return part[np.argsort(-row[part], kind="stable")]


class JobTitleNormaliser:
    """Map free-text job titles to ranked occupation codes.

    Parameters
    ----------
    word_weight : float, default 0.4
        Weight of the word TF-IDF cosine in the retrieval score (the character n-gram cosine
        gets ``1 - word_weight``).
    char_ngram_range : tuple of int, default (3, 5)
        Character n-gram sizes (within word boundaries).
    n_candidates : int, default 25
        Labels re-ranked per query.
    retrieval_weight, fuzzy_weight, coverage_weight, precision_weight : float
        Weights of the re-ranking terms (normalised to sum to 1).
    doc_weight : float, default 0.45
        Weight of the code-level document cosine (word TF-IDF over all labels of a code plus its
        ``code_texts``) blended into the final score; 0 switches it off.
    char_max_df : float, default 0.1
        Character n-grams found in more than this share of labels are dropped: they carry
        little weight and make the label product dense (slow).
    spelling : bool, default True
        Replace a query word of 5+ letters unknown to the labels by the most frequent known word
        one edit away (insertion, deletion, substitution or swap of neighbours).
    abbreviations : mapping, optional
        Short forms -> expansions; defaults to :data:`ABBREVIATIONS`.
    rerank : bool, default True
        False keeps the retrieval score only (for ablations).
    semantic_weight : float, default 0.0
        Weight of the semantic stage in the final score (0 switches it off; the project's
        normalisers use :data:`SEMANTIC_WEIGHT`). Fitting then embeds every label with
        ``encoder`` and keeps the vectors; a query is embedded once and each code's semantic
        score (its best label cosine mixed with its centroid cosine) is blended with the lexical
        score: ``(1 - w) * lexical + w * semantic`` over the union of the lexical candidates and
        the semantic nearest codes.
    encoder : SentenceEncoder, optional
        Sentence embedder of the semantic stage (the packaged multilingual USE by default).

    Attributes
    ----------
    labels_ : list of str
        Distinct cleaned labels.
    label_codes_ : ndarray of int
        Index into ``codes_`` of each cleaned label.
    codes_ : list of str
        Distinct codes.
    code_labels_ : dict
        Code -> display label.
    word_counts_ : Counter
        Folded words of the labels and their counts (the spelling dictionary).

    References
    ----------
    Salton, G. and Buckley, C. (1988). Term-weighting approaches in automatic text retrieval.
    Information Processing & Management 24(5), 513-523.
    Garbe, W. (2012). SymSpell: symmetric delete spelling correction algorithm.
    https://github.com/wolfgarbe/SymSpell
    """

    def __init__(
        self,
        *,
        word_weight: float = 0.4,
        char_ngram_range: tuple[int, int] = (3, 5),
        n_candidates: int = 25,
        char_max_df: float = 0.1,
        retrieval_weight: float = 0.45,
        fuzzy_weight: float = 0.2,
        coverage_weight: float = 0.25,
        precision_weight: float = 0.1,
        doc_weight: float = 0.45,
        spelling: bool = True,
        abbreviations: Mapping[str, str] | None = None,
        rerank: bool = True,
        semantic_weight: float = 0.0,
        encoder: SentenceEncoder | None = None,
        char_fusion_weight: float = 0.0,
    ):
        self.word_weight = word_weight
        self.char_ngram_range = char_ngram_range
        self.n_candidates = n_candidates
        self.char_max_df = char_max_df
        self.retrieval_weight = retrieval_weight
        self.fuzzy_weight = fuzzy_weight
        self.coverage_weight = coverage_weight
        self.precision_weight = precision_weight
        self.doc_weight = doc_weight
        self.spelling = spelling
        self.abbreviations = abbreviations
        self.rerank = rerank
        self.semantic_weight = semantic_weight
        self.encoder = encoder
        self.char_fusion_weight = char_fusion_weight

    # ---------------------------------------------------------------- fitting

    def fit(
        self,
        labels: Sequence[str],
        codes: Sequence[str],
        code_labels: Mapping[str, str] | None = None,
        code_texts: Mapping[str, str] | None = None,
    ) -> JobTitleNormaliser:
        """Learn the label index.

        Parameters
        ----------
        labels : sequence of str
            Job titles (fiche labels, appellations, gendered forms...).
        codes : sequence of str
            The code of each label (same length).
        code_labels : mapping, optional
            Code -> display label returned by :meth:`query`; defaults to the first label seen
            for each code.
        code_texts : mapping, optional
            Code -> descriptive text (for ROME: definition and skill labels) added to the
            code-level documents; without it the document score is not used.

        Returns
        -------
        self
        """
        if len(labels) != len(codes):
            raise BadInputError(f"labels and codes differ in length ({len(labels)} != {len(codes)})")
        if not labels:
            raise BadInputError("no label to fit on")
        for name in ("word_weight", "doc_weight", "semantic_weight", "char_fusion_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise BadInputError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.semantic_weight + self.char_fusion_weight > 1.0:
            raise BadInputError("semantic_weight + char_fusion_weight must be at most 1")
        abbreviations = ABBREVIATIONS if self.abbreviations is None else self.abbreviations
        self.abbreviations_ = dict(abbreviations)
        code_index: dict[str, int] = {}
        seen: dict[tuple[str, int], None] = {}
        for label, code in zip(labels, codes, strict=True):
            if not str(label).strip():
                continue
            idx = code_index.setdefault(str(code), len(code_index))
            cleaned = " ".join(clean_tokens(label, self.abbreviations_, noise=False))
            if cleaned:
                seen.setdefault((cleaned, idx), None)
        if not seen:
            raise BadInputError("every label is empty after cleaning")
        self.codes_ = list(code_index)
        self.labels_ = [label for label, _ in seen]
        self.label_codes_ = np.fromiter((idx for _, idx in seen), dtype=np.int32, count=len(seen))
        first_label: dict[str, str] = {}
        for label, code in zip(labels, codes, strict=True):
            first_label.setdefault(str(code), str(label))
        self.code_labels_ = {c: (code_labels or {}).get(c, first_label[c]) for c in self.codes_}

        self.word_counts_ = Counter(w for label in self.labels_ for w in label.split())
        self._folded_set = frozenset(self.word_counts_)
        deletions: dict[str, list[str]] = defaultdict(list)
        for word in self.word_counts_:
            if len(word) >= 4:
                for variant in _deletions(word):
                    deletions[variant].append(word)
        self.deletions_ = dict(deletions)

        self.word_vectorizer_ = TfidfVectorizer(
            analyzer="word",
            token_pattern=WORD_PATTERN,
            ngram_range=(1, 2),
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.char_vectorizer_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngram_range,
            # under 1 / char_max_df labels the share is less than one label: keep every n-gram
            max_df=self.char_max_df if self.char_max_df * len(self.labels_) >= 1 else 1.0,
            sublinear_tf=True,
            dtype=np.float32,
        )
        word = self.word_vectorizer_.fit_transform(self.labels_)
        char = self.char_vectorizer_.fit_transform(self.labels_)
        self.index_rows_ = self._stack(word, char)
        self.index_t_ = self.index_rows_.T.tocsr()
        label_words = [frozenset(label.split()) for label in self.labels_]
        self.label_lengths_ = np.array([max(len(w), 1) for w in label_words], dtype=np.float64)
        self.label_word_vocabulary_ = {w: j for j, w in enumerate(sorted(self.word_counts_))}
        self.label_word_presence_ = self._word_presence(self.labels_)
        # labels grouped by code: code c owns code_label_order_[starts[c] : starts[c] + counts[c]]
        self.code_label_order_ = np.argsort(self.label_codes_, kind="stable")
        bounds = np.searchsorted(self.label_codes_[self.code_label_order_], np.arange(len(self.codes_) + 1))
        self.code_label_starts_, self.code_label_counts_ = bounds[:-1], np.diff(bounds)

        self.doc_vectorizer_ = None
        if self.doc_weight > 0:
            docs: list[list[str]] = [[] for _ in self.codes_]
            for label, idx in seen:
                docs[idx].append(label)
            for code, text in (code_texts or {}).items():
                if code in code_index and text:
                    docs[code_index[code]].append(" ".join(clean_tokens(text, {}, noise=False)))
            self.doc_vectorizer_ = TfidfVectorizer(
                analyzer="word", token_pattern=WORD_PATTERN, sublinear_tf=True, dtype=np.float32
            )
            self.doc_index_t_ = self.doc_vectorizer_.fit_transform([" ".join(d) for d in docs]).T.tocsr()
        self.semantic_ = None
        self.char_fusion_ = None
        if self.semantic_weight > 0:
            self.semantic_ = self._fit_semantic(labels, codes, code_index)
            if self.char_fusion_weight > 0:
                self.char_fusion_ = BaselineCharTfidf().fit(labels, codes)
        return self

    def _fit_semantic(self, labels: Sequence[str], codes: Sequence[str], code_index: dict[str, int]):
        """Embed one published label per cleaned form and code (the first seen: for ROME the
        long "Agent / Agente de ..." form stands for its short, masculine and feminine forms);
        vectors are kept with the model (float16)."""
        if self.encoder is None:
            self.encoder = shared_encoder()
        firsts: dict[tuple[str, int], str] = {}
        for label, code in zip(labels, codes, strict=True):
            key = " ".join(clean_tokens(label, self.abbreviations_, noise=False))
            if key:
                firsts.setdefault((key, code_index[str(code)]), str(label))
        vectors = self.encoder.encode(list(firsts.values()), cache=False)
        label_codes = np.fromiter((idx for _, idx in firsts), dtype=np.int32, count=len(firsts))
        return SemanticIndex(vectors, label_codes, len(self.codes_))

    def _stack(self, word: sp.spmatrix, char: sp.spmatrix) -> sp.csr_matrix:
        w = np.float32(np.sqrt(self.word_weight))
        c = np.float32(np.sqrt(1.0 - self.word_weight))
        # both blocks are L2-normalised, so the dot product of stacked rows is the weighted cosine
        return sp.hstack([word * w, char * c], format="csr", dtype=np.float32)

    @property
    def _char_cache(self) -> dict:
        """Word -> character n-gram ids, filled as queries come (not saved with the model)."""
        cache = self.__dict__.get("_char_cache_")
        if cache is None:
            cache = self.__dict__["_char_cache_"] = {}
        return cache

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_char_cache_", None)
        state.pop("_code_position_", None)
        return state

    def _check_fitted(self) -> None:
        if not hasattr(self, "index_t_"):
            raise BadInputError("JobTitleNormaliser is not fitted: call fit() or load() first")

    # ---------------------------------------------------------------- querying

    def _correct(self, word: str, cache: dict[str, str]) -> str:
        if not self.spelling or word in self._folded_set or len(word) < 5 or word.isdigit():
            return word
        if word not in cache:
            # symmetric deletion lookup (as in SymSpell): any one-edit neighbour shares a
            # one-deletion variant with the word; candidates are then checked with OSA <= 1
            found: set[str] = set(self.deletions_.get(word, ()))
            for variant in _deletions(word):
                found.update(self.deletions_.get(variant, ()))
                if variant in self._folded_set:
                    found.add(variant)
            close = [w for w in found if OSA.distance(word, w, score_cutoff=1) <= 1]
            # a dropped letter is the commonest slip ("cuisiner"), so longer words win ties
            key = lambda w: (len(w) > len(word), self.word_counts_[w], w)  # noqa: E731
            cache[word] = max(close, key=key) if close else word
        return cache[word]

    def prepare(self, text: str, cache: dict[str, str] | None = None) -> str:
        """The cleaned, folded and spell-corrected form of a query (what is matched)."""
        self._check_fitted()
        cache = {} if cache is None else cache
        words = clean_tokens(text, self.abbreviations_)
        return " ".join(self._correct(w, cache) for w in words)

    def _rank_chunk(self, chunk: list[str], top: int, n_threads: int | None = None) -> list[list[Match]]:
        """Rank one chunk of prepared queries, vectorised over every (query, candidate) pair.

        Retrieval keeps the ``n_candidates`` best labels of each query straight out of the sparse
        product (``sparse_dot_topn``: no dense queries x labels block, no partition over it);
        the best label of each of the 3 codes the document score likes best joins them. Every
        re-ranking term is then computed on the flat list of pairs.
        """
        n = len(chunk)
        n_word = len(self.word_vectorizer_.vocabulary_)
        q = _tfidf_rows(
            [
                (self.word_vectorizer_, np.sqrt(self.word_weight), 0),
                (self.char_vectorizer_, np.sqrt(1 - self.word_weight), n_word),
            ],
            chunk,
            self.index_t_.shape[0],
            self._char_cache,
        )
        n_labels = self.index_t_.shape[1]
        k = min(self.n_candidates, n_labels)
        best = sp_matmul_topn(q, self.index_t_, top_n=k, threshold=0.0, n_threads=n_threads).tocoo()
        rows, cand, r = best.row.astype(np.int64), best.col.astype(np.int64), best.data.astype(np.float64)
        docs = None
        if self.doc_vectorizer_ is not None:
            q_doc = _tfidf_rows([(self.doc_vectorizer_, 1.0, 0)], chunk, self.doc_index_t_.shape[0])
            docs = (q_doc @ self.doc_index_t_).toarray()
            n_doc = min(3, docs.shape[1])
            doc_top = np.argpartition(-docs, n_doc - 1, axis=1)[:, :n_doc]
            # the codes the document score likes best get their best label ranked too
            d_rows = np.repeat(np.arange(n), n_doc)
            d_codes = doc_top.ravel()
            liked = docs[d_rows, d_codes] > 0
            d_rows, d_codes = d_rows[liked], d_codes[liked]
            sizes = self.code_label_counts_[d_codes]
            pair_rows = np.repeat(d_rows, sizes)
            pair_codes = np.repeat(d_codes, sizes)
            starts = np.repeat(self.code_label_starts_[d_codes] - np.cumsum(sizes) + sizes, sizes)
            pair_labels = self.code_label_order_[starts + np.arange(sizes.sum())]
            values = np.asarray(q[pair_rows].multiply(self.index_rows_[pair_labels]).sum(axis=1)).ravel()
            first = _best_per_group(pair_rows, pair_codes, values, len(self.codes_))
            rows = np.concatenate([rows, pair_rows[first]])
            cand = np.concatenate([cand, pair_labels[first]])
            r = np.concatenate([r, values[first]])
            # one row per (query, label), positive retrieval only
            _, first = np.unique(rows * n_labels + cand, return_index=True)
            rows, cand, r = rows[first], cand[first], r[first]
        # (an empty query has no term, hence no candidate)
        keep = r > 0
        rows, cand, r = rows[keep], cand[keep], r[keep]
        if self.rerank:
            weights = np.array(
                [self.retrieval_weight, self.fuzzy_weight, self.coverage_weight, self.precision_weight]
            )
            weights = weights / weights.sum()
            # distinct words shared with each candidate; unknown query words count in the query
            # length (a word no label has is a word the label misses)
            q_words = self._word_presence(chunk)
            common = np.asarray(q_words[rows].multiply(self.label_word_presence_[cand]).sum(axis=1)).ravel()
            q_len = np.array([max(len(set(text.split())), 1) for text in chunk], dtype=np.float64)
            fuzzy = np.zeros(rows.size)
            if weights[1] > 0:
                labels = self.labels_
                scorer = fuzz.token_set_ratio
                fuzzy = np.fromiter(
                    (scorer(chunk[i], labels[j]) for i, j in zip(rows.tolist(), cand.tolist(), strict=True)),
                    dtype=np.float64,
                    count=rows.size,
                )
            score = (
                weights[0] * r
                + weights[1] * fuzzy / 100.0
                + weights[2] * common / q_len[rows]
                + weights[3] * common / self.label_lengths_[cand]
            )
        else:
            score = r
        # a code scores as its best label
        codes = self.label_codes_[cand].astype(np.int64)
        first = _best_per_group(rows, codes, score, len(self.codes_))
        rows, codes, score = rows[first], codes[first], score[first]
        if docs is not None:
            score = (1.0 - self.doc_weight) * score + self.doc_weight * docs[rows, codes]
        # per query: best score first, then the code index (deterministic ties)
        order = np.lexsort((codes, -score, rows))
        rows, codes, score = rows[order], codes[order], np.clip(score[order], 0.0, 1.0)
        bounds = np.searchsorted(rows, np.arange(n + 1))
        names, display = self.codes_, self.code_labels_
        out: list[list[Match]] = []
        for i in range(n):
            lo, hi = bounds[i], min(bounds[i + 1], bounds[i] + top)
            out.append(
                [
                    Match(names[c], display[names[c]], round(s, 6))
                    for c, s in zip(codes[lo:hi].tolist(), score[lo:hi].tolist(), strict=True)
                ]
            )
        return out

    def _word_presence(self, texts: list[str]) -> sp.csr_matrix:
        """Binary query x label-word matrix (words the labels know; others match nothing)."""
        vocabulary = self.label_word_vocabulary_
        per_text = [{vocabulary[w] for w in text.split() if w in vocabulary} for text in texts]
        lengths = np.fromiter((len(s) for s in per_text), dtype=np.int64, count=len(texts))
        cols = np.fromiter((j for s in per_text for j in s), dtype=np.int64, count=int(lengths.sum()))
        return sp.csr_matrix(
            (np.ones(cols.size, dtype=np.float32), cols, np.r_[0, np.cumsum(lengths)]),
            shape=(len(texts), len(vocabulary)),
        )

    def query(self, text: str, top: int = 5, semantic: bool | None = None) -> list[Match]:
        """Best ``top`` codes for one job title, as :class:`Match` (code, label, score)."""
        return self.query_batch([text], top=top, semantic=semantic)[0]

    def query_batch(
        self,
        texts: Iterable[str],
        top: int = 5,
        chunk_size: int = 256,
        n_threads: int | None = None,
        semantic: bool | None = None,
    ) -> list[list[Match]]:
        """Best ``top`` codes for each of many job titles (one sparse product per chunk).

        Parameters
        ----------
        texts : iterable of str
        top : int, default 5
        chunk_size : int, default 256
            Queries per sparse product.
        n_threads : int, optional
            Threads of the sparse top-n product (``sparse_dot_topn``); None runs it sequentially.
        semantic : bool, optional
            False skips the semantic stage of a model fitted with one (the ``--fast`` mode);
            None uses it when the model has it.

        Returns
        -------
        list of list of Match
            Same order as ``texts``; an empty list when nothing matches (empty text...).
        """
        self._check_fitted()
        if top < 1:
            raise BadInputError(f"top must be >= 1, got {top}")
        texts = [str(t) for t in texts]
        cache: dict[str, str] = {}
        # a batch file often repeats titles: clean each distinct text once
        cleaned = {t: self.prepare(t, cache) for t in dict.fromkeys(texts)}
        prepared = [cleaned[t] for t in texts]
        use_semantic = self.semantic_active if semantic is None else (semantic and self.semantic_active)
        out: list[list[Match]] = []
        for start in range(0, len(prepared), chunk_size):
            chunk = prepared[start : start + chunk_size]
            if not use_semantic:
                out += self._rank_chunk(chunk, top, n_threads)
                continue
            lexical = self._rank_chunk(chunk, max(top, self.semantic_pool), n_threads)
            out += self._fuse(texts[start : start + chunk_size], lexical, top)
        return out

    #: Lexical candidates per query kept for the fusion with the semantic stage.
    semantic_pool = 30
    #: Codes with the nearest label centroids added to them.
    semantic_nearest = 20

    @property
    def semantic_active(self) -> bool:
        """True when the model was fitted with a semantic stage."""
        return getattr(self, "semantic_", None) is not None and self.semantic_weight > 0

    def _fuse(self, texts: list[str], lexical: list[list[Match]], top: int) -> list[list[Match]]:
        """Blend the lexical scores with the semantic code scores of the raw texts (and, with a
        ``char_fusion_weight`` b, the raw character n-gram cosine of the baseline).

        Candidates are the lexical ones, the codes whose label centroids are nearest to the query
        and, with b, the character n-gram's best codes; each scores ``(1 - w - b) * lexical +
        w * semantic + b * character`` (a component 0 when the code was not among its
        candidates), so scores stay in [0, 1].
        """
        w = self.semantic_weight
        char_model = getattr(self, "char_fusion_", None)
        b = self.char_fusion_weight if char_model is not None else 0.0
        index = self._code_position
        lexical_codes = [
            np.fromiter((index[m.code] for m in r), dtype=np.int64, count=len(r)) for r in lexical
        ]
        char = char_model.query_batch(texts, top=self.semantic_pool) if b else [[] for _ in texts]
        if b:
            lexical_codes = [
                np.unique(
                    np.concatenate([codes, np.fromiter((index[m.code] for m in found), dtype=np.int64)])
                )
                for codes, found in zip(lexical_codes, char, strict=True)
            ]
        semantic = self.semantic_.candidate_scores(
            self.encoder.encode(texts), lexical_codes, self.semantic_nearest
        )
        names, display = self.codes_, self.code_labels_
        out: list[list[Match]] = []
        for matches, found, (codes, scores) in zip(lexical, char, semantic, strict=True):
            fused = dict(zip(codes.tolist(), (w * scores).tolist(), strict=True))
            for m in matches:
                c = index[m.code]
                fused[c] = fused.get(c, 0.0) + (1.0 - w - b) * m.score
            for m in found:
                c = index[m.code]
                fused[c] = fused.get(c, 0.0) + b * m.score
            # an empty query (no lexical candidate, a zero vector) stays empty
            ranked = sorted((c for c, v in fused.items() if v > 0), key=lambda c: (-fused[c], c))[:top]
            out.append([Match(names[c], display[names[c]], round(fused[c], 6)) for c in ranked])
        return out

    @property
    def _code_position(self) -> dict[str, int]:
        position = self.__dict__.get("_code_position_")
        if position is None:
            position = self.__dict__["_code_position_"] = {c: i for i, c in enumerate(self.codes_)}
        return position

    # ---------------------------------------------------------------- persistence

    def save(self, path: str | Path) -> Path:
        """Write the fitted normaliser with joblib (compressed); returns the path."""
        self._check_fitted()
        path = Path(path)
        joblib.dump(self, path, compress=3)
        return path

    @classmethod
    def load(cls, path: str | Path) -> JobTitleNormaliser:
        """Read a normaliser written by :meth:`save` (only load files you wrote yourself)."""
        obj = joblib.load(Path(path))
        if not isinstance(obj, cls):
            raise BadInputError(f"{path} does not hold a {cls.__name__}")
        return obj


def semantic_normaliser(encoder: SentenceEncoder | None = None, **params) -> JobTitleNormaliser:
    """The job-title normaliser the project fits: the lexical stages plus the semantic stage
    (weight :data:`SEMANTIC_WEIGHT`; the process's shared encoder unless one is given)."""
    params.setdefault("semantic_weight", SEMANTIC_WEIGHT)
    return JobTitleNormaliser(encoder=encoder, **params)


def esco_normaliser(encoder: SentenceEncoder | None = None, **params) -> JobTitleNormaliser:
    """The ESCO job-title normaliser: :func:`semantic_normaliser` with the raw character n-gram
    cosine as a third component of the fusion (weight :data:`ESCO_CHAR_WEIGHT`). ESCO labels are
    precise variants ("sommelier en vins" / "sommelier en vin") where raw 2-letter n-grams do
    well and the ROME-tuned cleaning does not; with the hierarchy's code documents
    (:func:`~parcours.stats.labour.esco.hierarchy_texts`) it is what lifted held-out ESCO titles
    past the baseline by 5 points on the tuning splits (docs/labour.md)."""
    params.setdefault("char_fusion_weight", ESCO_CHAR_WEIGHT)
    return semantic_normaliser(encoder, **params)


def baseline_char_tfidf(labels: Sequence[str], codes: Sequence[str]) -> BaselineCharTfidf:
    """The plain character n-gram TF-IDF baseline, fitted (see :class:`BaselineCharTfidf`)."""
    return BaselineCharTfidf().fit(labels, codes)


class BaselineCharTfidf:
    """Baseline: ``TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 4))`` on raw labels, cosine,
    best label per code. No cleaning beyond lower-casing."""

    def fit(self, labels: Sequence[str], codes: Sequence[str]) -> BaselineCharTfidf:
        """Index the labels; returns self."""
        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), dtype=np.float32)
        self.index_t_ = self.vectorizer_.fit_transform([str(x) for x in labels]).T.tocsr()
        self.codes_, inverse = np.unique(np.asarray(codes, dtype=str), return_inverse=True)
        self.label_codes_ = inverse.astype(np.int32)
        return self

    def query_batch(self, texts: Iterable[str], top: int = 5, chunk_size: int = 512) -> list[list[Match]]:
        """Best ``top`` codes per text (label = the code itself; score = cosine)."""
        texts = [str(t) for t in texts]
        out: list[list[Match]] = []
        n_codes = len(self.codes_)
        for start in range(0, len(texts), chunk_size):
            scores = (self.vectorizer_.transform(texts[start : start + chunk_size]) @ self.index_t_).toarray()
            for row in scores:
                per_code = np.zeros(n_codes, dtype=np.float32)
                np.maximum.at(per_code, self.label_codes_, row)
                best = _top_k(per_code, min(top, n_codes))
                out.append(
                    [Match(str(self.codes_[c]), str(self.codes_[c]), float(per_code[c])) for c in best]
                )
        return out

    def query(self, text: str, top: int = 5) -> list[Match]:
        """Best ``top`` codes for one text."""
        return self.query_batch([text], top=top)[0]
