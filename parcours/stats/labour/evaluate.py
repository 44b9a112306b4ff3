"""Held-out evaluation of the job-title normaliser on the official ROME appellations.

Protocol (:func:`evaluate_rome`):

1. Split the appellations: for each fiche, a share ``test_size`` of its *synonym* appellations
   (not the ``PRINCIPALE`` one, which repeats the fiche label) is held out, with stochastic
   rounding and at least one synonym kept for training; seeded by ``random_state``.
2. Fit the normaliser and the baseline on the fiche labels plus the remaining appellations
   (long, short, masculine and feminine forms); the normaliser also gets each fiche's
   definition and core skill labels as code documents (no appellation text is in them).
3. Query the held-out appellations as published ("clean") and a noisy variant of each made by
   :func:`add_noise` (one gender form, lower case, accents dropped, one typo, an abbreviation,
   contract/pay words) with its own seeded generator.
4. Report accuracy at 1 and 5 and the mean reciprocal rank for both methods.

The baseline is a plain ``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))`` cosine over
the same raw labels (:class:`~parcours.stats.labour.normalise.BaselineCharTfidf`).

Command line::

    python -m parcours.stats.labour.evaluate --rome-dir ../shared/data/rome4 --seed 0 --json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from unidecode import unidecode

from parcours.stats.errors import BadInputError
from parcours.stats.labour.esco import (
    EscoOccupation,
    hierarchy_texts,
    iter_broader_relations,
    iter_esco_concepts,
    read_esco_occupations,
)
from parcours.stats.labour.normalise import (
    SEMANTIC_WEIGHT,
    BaselineCharTfidf,
    JobTitleNormaliser,
    clean_tokens,
    esco_normaliser,
    semantic_normaliser,
)
from parcours.stats.labour.rome import JobTitle, RomeReferential, gender_forms, read_rome
from parcours.stats.labour.skills import fit_esco_skill_normaliser, fit_skill_normaliser

ROME_CODE = re.compile(r"^[A-N]\d{4}$")

# --------------------------------------------------------------------------- metrics


def accuracy_at_k(rankings: Sequence[Sequence[str]], truths: Sequence[str], k: int) -> float:
    """Share of queries whose true code is among the first ``k`` ranked codes.

    Parameters
    ----------
    rankings : sequence of sequences of str
        Ranked codes per query, best first.
    truths : sequence of str
        True code per query.
    k : int
        Cut-off (>= 1).

    Returns
    -------
    float
    """
    if len(rankings) != len(truths):
        raise BadInputError(f"rankings and truths differ in length ({len(rankings)} != {len(truths)})")
    if k < 1:
        raise BadInputError(f"k must be >= 1, got {k}")
    if not truths:
        raise BadInputError("no query to score")
    return float(np.mean([t in list(r)[:k] for r, t in zip(rankings, truths, strict=True)]))


def mean_reciprocal_rank(rankings: Sequence[Sequence[str]], truths: Sequence[str]) -> float:
    """Mean of 1 / (rank of the true code), counting 0 when it is not ranked.

    References
    ----------
    Voorhees, E. M. (1999). The TREC-8 question answering track report. TREC.
    """
    if len(rankings) != len(truths):
        raise BadInputError(f"rankings and truths differ in length ({len(rankings)} != {len(truths)})")
    if not truths:
        raise BadInputError("no query to score")
    total = 0.0
    for ranking, truth in zip(rankings, truths, strict=True):
        ranking = list(ranking)
        if truth in ranking:
            total += 1.0 / (ranking.index(truth) + 1)
    return total / len(truths)


def ranking_metrics(rankings: Sequence[Sequence[str]], truths: Sequence[str]) -> dict[str, float]:
    """``{"acc@1", "acc@5", "mrr", "n"}`` for ranked codes against true codes."""
    return {
        "acc@1": accuracy_at_k(rankings, truths, 1),
        "acc@5": accuracy_at_k(rankings, truths, 5),
        "mrr": mean_reciprocal_rank(rankings, truths),
        "n": len(truths),
    }


def reciprocal_ranks(rankings: Sequence[Sequence[str]], truths: Sequence[str]) -> np.ndarray:
    """1 / rank of the true code per query (0 when it is not ranked)."""
    if len(rankings) != len(truths):
        raise BadInputError(f"rankings and truths differ in length ({len(rankings)} != {len(truths)})")
    out = np.zeros(len(truths))
    for i, (ranking, truth) in enumerate(zip(rankings, truths, strict=True)):
        ranking = list(ranking)
        if truth in ranking:
            out[i] = 1.0 / (ranking.index(truth) + 1)
    return out


def bootstrap_metrics(
    rankings: Sequence[Sequence[str]],
    truths: Sequence[str],
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    random_state: int = 0,
    baseline: Sequence[Sequence[str]] | None = None,
) -> dict[str, dict[str, float]]:
    """acc@1, acc@5 and MRR with percentile bootstrap intervals over queries.

    Parameters
    ----------
    rankings, truths
        Ranked codes per query and the true codes.
    n_resamples : int, default 2000
        Bootstrap resamples of the queries (with replacement).
    confidence : float, default 0.95
        Coverage of the interval.
    random_state : int, default 0
    baseline : sequence of rankings, optional
        Another method's rankings of the same queries: adds ``"diff_<metric>"`` entries, the
        paired difference (this method minus the baseline) with its interval, from the same
        resamples.

    Returns
    -------
    dict
        ``{metric: {"value", "low", "high"}}`` for ``acc@1``, ``acc@5``, ``mrr`` (and the
        differences), plus ``{"n": {"value": n}}``.

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
    """
    rr = reciprocal_ranks(rankings, truths)
    if not rr.size:
        raise BadInputError("no query to score")
    per_query = {"acc@1": (rr >= 1.0).astype(float), "acc@5": (rr >= 0.2).astype(float), "mrr": rr}
    if baseline is not None:
        base = reciprocal_ranks(baseline, truths)
        base_q = {"acc@1": (base >= 1.0).astype(float), "acc@5": (base >= 0.2).astype(float), "mrr": base}
        per_query.update({f"diff_{k}": per_query[k] - base_q[k] for k in list(base_q)})
    rng = np.random.default_rng(random_state)
    n = rr.size
    samples = rng.integers(0, n, size=(n_resamples, n))
    alpha = (1.0 - confidence) / 2.0
    out: dict[str, dict[str, float]] = {}
    for name, values in per_query.items():
        means = values[samples].mean(axis=1)
        low, high = np.quantile(means, [alpha, 1.0 - alpha])
        out[name] = {"value": float(values.mean()), "low": float(low), "high": float(high)}
    out["n"] = {"value": float(n)}
    return out


# --------------------------------------------------------------------------- split and noise


def split_job_titles(
    titles: Sequence[JobTitle], test_size: float = 0.2, random_state: int = 0
) -> tuple[list[JobTitle], list[JobTitle]]:
    """Split appellations into (train, test), stratified by ROME code.

    Per code, ``test_size`` of the synonym appellations are held out (stochastic rounding of
    ``test_size * n``), never all of them; the main appellation always stays in training.
    """
    if not 0.0 < test_size < 1.0:
        raise BadInputError(f"test_size must be in (0, 1), got {test_size}")
    rng = np.random.default_rng(random_state)
    by_code: dict[str, list[JobTitle]] = defaultdict(list)
    train: list[JobTitle] = []
    for title in titles:
        if title.is_main:
            train.append(title)
        else:
            by_code[title.rome_code].append(title)
    test: list[JobTitle] = []
    for code in sorted(by_code):
        group = by_code[code]
        order = rng.permutation(len(group))
        n_test = min(int(np.floor(test_size * len(group) + rng.random())), len(group) - 1)
        test += [group[i] for i in order[:n_test]]
        train += [group[i] for i in order[n_test:]]
    return train, test


#: How people shorten words in job titles; written independently of the normaliser's table
#: (the two overlap because both describe common French usage).
TYPED_ABBREVIATIONS = {
    "développeur": "dev",
    "développeuse": "dev",
    "administratif": "admin",
    "administrative": "admin",
    "responsable": "resp",
    "technicien": "tech",
    "technicienne": "tech",
    "comptable": "compta",
    "informatique": "info",
    "auxiliaire": "aux",
    "préparateur": "prépa",
    "préparatrice": "prépa",
    "manutentionnaire": "manut",
    "maintenance": "maint",
    "électricien": "élec",
    "électricienne": "élec",
    "secrétaire": "secré",
    "commercial": "cial",
    "commerciale": "cial",
    "directeur": "dir",
    "directrice": "dir",
    "adjoint": "adj",
    "adjointe": "adj",
    "assistant": "assist",
    "assistante": "assist",
    "ressources": "r.",
    "conducteur": "cond.",
    "agent": "agt",
}
EXTRA_WORDS = (
    "H/F",
    "F/H",
    "(H/F)",
    "CDI",
    "CDD",
    "CDI temps plein",
    "temps partiel",
    "URGENT",
    "- 1 800 € brut/mois",
    "débutant accepté",
    "35h",
)
_LETTERS = "abcdefghijklmnopqrstuvwxyzéè"


def add_noise(
    label: str,
    rng: np.random.Generator,
    *,
    p_lower: float = 0.7,
    p_accents: float = 0.5,
    p_abbreviation: float = 0.3,
    p_typo: float = 0.5,
    p_extra: float = 0.5,
) -> str:
    """Make a typed-looking variant of an official label.

    One gender form is kept (masculine or feminine, even odds), then with the given
    probabilities: lower case, accents dropped, one known word abbreviated, one typo (swap of
    two neighbouring letters, deletion or insertion) in a word of 4+ letters, and contract or pay
    words added before or after.
    """
    masculine, feminine = gender_forms(label)
    text = feminine if rng.random() < 0.5 else masculine
    if rng.random() < p_abbreviation:
        words = text.split()
        known = [i for i, w in enumerate(words) if w.lower() in TYPED_ABBREVIATIONS]
        if known:
            i = known[rng.integers(len(known))]
            words[i] = TYPED_ABBREVIATIONS[words[i].lower()]
            text = " ".join(words)
    if rng.random() < p_typo:
        words = text.split()
        long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if long_words:
            i = long_words[rng.integers(len(long_words))]
            w = words[i]
            pos = int(rng.integers(1, len(w) - 1))
            kind = rng.integers(3)
            if kind == 0:
                w = w[: pos - 1] + w[pos] + w[pos - 1] + w[pos + 1 :]
            elif kind == 1:
                w = w[:pos] + w[pos + 1 :]
            else:
                w = w[:pos] + _LETTERS[rng.integers(len(_LETTERS))] + w[pos:]
            words[i] = w
            text = " ".join(words)
    if rng.random() < p_lower:
        text = text.lower()
    if rng.random() < p_accents:
        text = unidecode(text)
    if rng.random() < p_extra:
        extra = EXTRA_WORDS[rng.integers(len(EXTRA_WORDS))]
        text = f"{text} {extra}" if rng.random() < 0.7 else f"{extra} {text}"
    return text


def split_esco_labels(
    occupations: Sequence[EscoOccupation], test_size: float = 0.2, random_state: int = 0
) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    """Hold out ESCO alternative labels: ``((train_labels, train_uris), (test_labels, test_uris))``.

    An occupation's labels are grouped by their cleaned, gender-folded form, so that
    "régisseur" and "régisseuse" fall together and a held-out title never has its other gender
    form left in training. The group of the preferred label always stays in training; of the
    other groups, ``test_size`` are held out per occupation (stochastic rounding); one label per
    held-out group (the first published) is queried.
    """
    if not 0.0 < test_size < 1.0:
        raise BadInputError(f"test_size must be in (0, 1), got {test_size}")
    rng = np.random.default_rng(random_state)
    train: tuple[list[str], list[str]] = ([], [])
    test: tuple[list[str], list[str]] = ([], [])
    for occ in sorted(occupations, key=lambda o: o.uri):
        groups: dict[str, list[str]] = {}
        for label in occ.labels:
            groups.setdefault(" ".join(clean_tokens(label, {}, noise=False)), []).append(label)
        preferred_key = " ".join(clean_tokens(occ.preferred_label, {}, noise=False))
        keys = [k for k in groups if k != preferred_key]
        order = rng.permutation(len(keys))
        n_test = min(int(np.floor(test_size * len(keys) + rng.random())), len(keys))
        held = {keys[i] for i in order[:n_test]}
        for key, labels in groups.items():
            if key in held:
                test[0].append(labels[0])
                test[1].append(occ.uri)
            else:
                train[0].extend(labels)
                train[1].extend([occ.uri] * len(labels))
    return train, test


# --------------------------------------------------------------------------- evaluation


@dataclass
class EvaluationResult:
    """Metrics by method and query set (with bootstrap intervals), plus sizes and timings."""

    metrics: dict[str, dict[str, dict[str, float]]]
    n_train_labels: int
    n_test: int
    seconds: dict[str, float] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)
    intervals: dict[str, dict[str, dict[str, dict[str, float]]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "metrics": self.metrics,
            "intervals": self.intervals,
            "n_train_labels": self.n_train_labels,
            "n_test": self.n_test,
            "seconds": self.seconds,
            "params": self.params,
        }

    def summary(self) -> str:
        """A plain-text table of the metrics, with 95 % bootstrap intervals when computed."""
        task = self.params.get("task", "rome")
        lines = [f"{task}: {self.n_test} titles queried; training labels: {self.n_train_labels}"]
        lines.append(f"{'method':<12}{'queries':<10}{'acc@1':>22}{'acc@5':>22}{'MRR':>22}")
        for method, by_set in self.metrics.items():
            for name, m in by_set.items():
                box = self.intervals.get(method, {}).get(name, {})
                cells = []
                for key in ("acc@1", "acc@5", "mrr"):
                    if key in box:
                        cells.append(f"{m[key]:.3f} [{box[key]['low']:.3f}, {box[key]['high']:.3f}]")
                    else:
                        cells.append(f"{m[key]:.3f}")
                lines.append(f"{method:<12}{name:<10}" + "".join(f"{c:>22}" for c in cells))
        return "\n".join(lines)


def training_pairs(referential: RomeReferential, titles: Sequence[JobTitle]) -> tuple[list[str], list[str]]:
    """(labels, codes): fiche labels plus every form of the given appellations."""
    labels = [o.label for o in referential.occupations.values()]
    codes = [o.code for o in referential.occupations.values()]
    for t in titles:
        for form in dict.fromkeys((t.label, t.short_label, t.masculine, t.feminine)):
            labels.append(form)
            codes.append(t.rome_code)
    return labels, codes


def _compare(
    model: JobTitleNormaliser,
    baseline: BaselineCharTfidf,
    queries: dict[str, list[str]],
    truths: list[str],
    seconds: dict[str, float],
    n_resamples: int,
) -> tuple[dict, dict]:
    """Rank every query set with the baseline, the lexical stages alone and (when fitted) the
    whole normaliser; metrics and bootstrap intervals (differences against the baseline)."""
    methods = {"baseline": lambda texts: baseline.query_batch(texts, top=5)}
    methods["lexical"] = lambda texts: model.query_batch(texts, top=5, semantic=False)
    if model.semantic_active:
        methods["semantic"] = lambda texts: model.query_batch(texts, top=5, semantic=True)
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    intervals: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    base_rankings: dict[str, list[list[str]]] = {}
    for name, rank in methods.items():
        metrics[name], intervals[name] = {}, {}
        for set_name, texts in queries.items():
            start = time.perf_counter()
            rankings = [[m.code for m in r] for r in rank(texts)]
            seconds[f"{name}_{set_name}_query"] = time.perf_counter() - start
            if name == "baseline":
                base_rankings[set_name] = rankings
            metrics[name][set_name] = ranking_metrics(rankings, truths)
            if n_resamples:
                intervals[name][set_name] = bootstrap_metrics(
                    rankings,
                    truths,
                    n_resamples=n_resamples,
                    baseline=None if name == "baseline" else base_rankings[set_name],
                )
    return metrics, intervals


def _fit_both(model, labels, codes, code_labels, code_texts, seconds):
    start = time.perf_counter()
    model.fit(labels, codes, code_labels, code_texts)
    seconds["normaliser_fit"] = time.perf_counter() - start
    start = time.perf_counter()
    baseline = BaselineCharTfidf().fit(labels, codes)
    seconds["baseline_fit"] = time.perf_counter() - start
    return baseline


def evaluate_rome(
    referential: RomeReferential,
    *,
    test_size: float = 0.2,
    random_state: int = 0,
    normaliser: JobTitleNormaliser | None = None,
    noise: dict[str, float] | None = None,
    n_resamples: int = 1000,
) -> EvaluationResult:
    """Held-out evaluation on the official ROME appellations, against the char n-gram baseline.

    Parameters
    ----------
    referential : RomeReferential
        Parsed ROME set (see :func:`~parcours.stats.labour.rome.read_rome`).
    test_size : float, default 0.2
        Share of synonym appellations held out per fiche.
    random_state : int, default 0
        Seed of the split and of the noise.
    normaliser : JobTitleNormaliser, optional
        Unfitted normaliser to evaluate (:func:`~parcours.stats.labour.normalise.semantic_normaliser` when omitted); its lexical
        stages alone are reported as ``lexical`` and, when it has a semantic stage, the whole
        as ``semantic``.
    noise : dict, optional
        Keyword probabilities passed to :func:`add_noise`.
    n_resamples : int, default 1000
        Bootstrap resamples for the intervals (0: none).

    Returns
    -------
    EvaluationResult
    """
    train, test = split_job_titles(referential.job_titles, test_size, random_state)
    if not test:
        raise BadInputError("no appellation held out: the referential is too small for this test_size")
    labels, codes = training_pairs(referential, train)
    code_labels = {o.code: o.label for o in referential.occupations.values()}
    rng = np.random.default_rng([random_state, 1])
    queries = {
        "clean": [t.label for t in test],
        "noisy": [add_noise(t.label, rng, **(noise or {})) for t in test],
    }
    truths = [t.rome_code for t in test]
    seconds: dict[str, float] = {}
    model = normaliser if normaliser is not None else semantic_normaliser()
    baseline = _fit_both(model, labels, codes, code_labels, referential.code_texts(), seconds)
    metrics, intervals = _compare(model, baseline, queries, truths, seconds, n_resamples)
    params = {
        "task": "rome",
        "test_size": test_size,
        "random_state": random_state,
        "version": referential.version,
    }
    return EvaluationResult(metrics, len(labels), len(test), seconds, params, intervals)


def evaluate_esco(
    occupations: Sequence[EscoOccupation],
    *,
    test_size: float = 0.2,
    random_state: int = 0,
    normaliser: JobTitleNormaliser | None = None,
    n_resamples: int = 1000,
    code_texts: Mapping[str, str] | None = None,
) -> EvaluationResult:
    """Held-out evaluation on ESCO alternative labels (see :func:`split_esco_labels`): fit on the
    preferred labels and the remaining alternative labels, query the held-out ones as published.
    ``code_texts`` (URI -> text, e.g. :func:`esco_hierarchy_texts`) are added to the occupations'
    descriptions as code documents; the default normaliser is :func:`esco_normaliser`, the one the
    ESCO import fits."""
    (labels, codes), (test_labels, truths) = split_esco_labels(occupations, test_size, random_state)
    if not test_labels:
        raise BadInputError("no ESCO label held out: too few alternative labels for this test_size")
    code_labels = {o.uri: o.preferred_label for o in occupations}
    texts = {
        o.uri: " ".join(filter(None, [o.description, (code_texts or {}).get(o.uri, "")])) for o in occupations
    }
    texts = {uri: text for uri, text in texts.items() if text}
    seconds: dict[str, float] = {}
    model = normaliser if normaliser is not None else esco_normaliser()
    baseline = _fit_both(model, labels, codes, code_labels, texts or None, seconds)
    metrics, intervals = _compare(model, baseline, {"held_out": test_labels}, truths, seconds, n_resamples)
    params = {"task": "esco", "test_size": test_size, "random_state": random_state, "code_texts": len(texts)}
    return EvaluationResult(metrics, len(labels), len(test_labels), seconds, params, intervals)


def esco_hierarchy_texts(occupations: Sequence[EscoOccupation], folder: str | Path) -> dict[str, str]:
    """The hierarchy's code documents (:func:`~parcours.stats.labour.esco.hierarchy_texts`) from
    the ``broaderRelationsOccPillar.csv`` and ``ISCOGroups_<lang>.csv`` of an export folder; empty
    when the folder lacks them."""
    folder = Path(folder)
    relations_file = folder / "broaderRelationsOccPillar.csv"
    isco_files = sorted(folder.glob("ISCOGroups_*.csv"))
    if not relations_file.is_file() or not isco_files:
        return {}
    issues: list = []
    relations = [(r.uri, r.broader_uri) for r in iter_broader_relations(relations_file, issues)]
    isco = {c.uri: c.preferred_label for c in iter_esco_concepts(isco_files[0], ("ISCOGroup",), issues)}
    return hierarchy_texts(((o.uri, o.preferred_label) for o in occupations), relations, isco)


def read_labelled_titles(path: str | Path) -> tuple[list[str], list[str]]:
    """(titles, codes) from a UTF-8 TSV with the header ``title<TAB>rome_code``."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"labelled titles not found: {path}")
    titles: list[str] = []
    codes: list[str] = []
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        if header != ["title", "rome_code"]:
            raise BadInputError(f"{path.name}:1: header must be 'title<TAB>rome_code', got {header}")
        for line_no, line in enumerate(handle, start=2):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 2 or not fields[0].strip() or not ROME_CODE.match(fields[1]):
                raise BadInputError(f"{path.name}:{line_no}: expected 'title<TAB>ROME code', got {line!r}")
            titles.append(fields[0].strip())
            codes.append(fields[1])
    if not titles:
        raise BadInputError(f"{path.name}: no title")
    return titles, codes


def evaluate_titles(
    referential: RomeReferential,
    titles: Sequence[str],
    codes: Sequence[str],
    *,
    normaliser: JobTitleNormaliser | None = None,
    n_resamples: int = 1000,
) -> EvaluationResult:
    """Typed titles with known ROME codes (e.g. the hand-written informal set) against models
    fitted on the whole referential (every fiche label and appellation form)."""
    unknown = sorted(set(codes) - set(referential.occupations))
    if unknown:
        raise BadInputError(f"codes not in the referential: {', '.join(unknown[:5])}")
    labels, label_codes = referential.label_pairs()
    code_labels = {o.code: o.label for o in referential.occupations.values()}
    seconds: dict[str, float] = {}
    model = normaliser if normaliser is not None else semantic_normaliser()
    baseline = _fit_both(model, labels, label_codes, code_labels, referential.code_texts(), seconds)
    metrics, intervals = _compare(model, baseline, {"typed": list(titles)}, list(codes), seconds, n_resamples)
    return EvaluationResult(metrics, len(labels), len(titles), seconds, {"task": "typed"}, intervals)


# --------------------------------------------------------------------------- informal skills

#: Marks an answer that a phrase's pattern accepts, so that :func:`bootstrap_metrics` (one true
#: code per query) scores phrases with several acceptable ROME items.
ACCEPTED = "\x00accepted"


def read_skill_phrases(path: str | Path) -> list[tuple[str, str, re.Pattern]]:
    """``phrase<TAB>source<TAB>acceptable_items`` rows (a header first): what a person says of a
    skill learnt outside work, where they learnt it, and a regular expression over ROME item
    labels that accepts an answer. Bad rows raise BadInputError with the line number."""
    rows = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise BadInputError(f"{path}:{number}: expected phrase<TAB>source<TAB>pattern")
        try:
            pattern = re.compile(parts[2], re.IGNORECASE)
        except re.error as exc:
            raise BadInputError(f"{path}:{number}: bad pattern: {exc}") from exc
        rows.append((parts[0].strip(), parts[1].strip(), pattern))
    if not rows:
        raise BadInputError(f"{path}: no phrase")
    return rows


def evaluate_skill_phrases(
    referential: RomeReferential,
    phrases: Sequence[tuple[str, str, re.Pattern]],
    *,
    semantic_weights: Sequence[float] = (0.0, SEMANTIC_WEIGHT),
    n_resamples: int = 1000,
) -> dict[str, dict[str, dict[str, float]]]:
    """Informal skill phrases against the skill matcher fitted on every ROME item an occupation
    requires, at each semantic weight (0 = the lexical stages alone; one fit). Returns
    ``{"w=<weight>": bootstrap metrics}``, each with its paired difference to the first weight."""
    required = {link.item_code for link in referential.item_links}
    items = [item for code, item in referential.items.items() if code in required]
    labels = {item.ogr_code: item.label for item in items}
    normaliser = fit_skill_normaliser(items, semantic_weight=max(semantic_weights))
    return _score_skill_phrases(
        normaliser, {c: (x,) for c, x in labels.items()}, phrases, semantic_weights, n_resamples, "ROME item"
    )


def evaluate_esco_skill_phrases(
    skills_file: str | Path,
    phrases: Sequence[tuple[str, str, re.Pattern]],
    *,
    semantic_weights: Sequence[float] = (0.0, SEMANTIC_WEIGHT),
    n_resamples: int = 1000,
) -> dict[str, dict[str, dict[str, float]]]:
    """Informal skill phrases against the ESCO skill matcher (:func:`fit_esco_skill_normaliser`)
    fitted on every skill and knowledge concept of an ESCO ``skills_<lang>.csv``; a phrase's
    pattern accepts an answer when it matches the skill's preferred or any alternative label.
    Same output as :func:`evaluate_skill_phrases`."""
    issues: list = []
    concepts = list(iter_esco_concepts(skills_file, ("KnowledgeSkillCompetence",), issues))
    if not concepts:
        raise BadInputError(f"{skills_file}: no ESCO skill read")
    labels = {c.uri: (c.preferred_label, *c.alt_labels) for c in concepts}
    normaliser = fit_esco_skill_normaliser(
        ((c.uri, c.preferred_label, c.alt_labels) for c in concepts), semantic_weight=max(semantic_weights)
    )
    return _score_skill_phrases(normaliser, labels, phrases, semantic_weights, n_resamples, "ESCO skill")


def _score_skill_phrases(normaliser, labels, phrases, semantic_weights, n_resamples, what):
    """Rank the phrases at each semantic weight; an answer counts when the phrase's pattern
    matches one of its ``labels`` (code -> label forms)."""
    unanswerable = [
        p
        for p, _s, pattern in phrases
        if not any(pattern.search(x) for forms in labels.values() for x in forms)
    ]
    if unanswerable:
        raise BadInputError(f"no {what} accepted for: {unanswerable[0]!r}")

    def accepted(code: str, label: str, pattern: re.Pattern) -> bool:
        return any(pattern.search(x) for x in labels.get(code, (label,)))

    truths = [ACCEPTED] * len(phrases)
    rankings = {}
    for weight in semantic_weights:
        normaliser.semantic_weight = weight
        answers = normaliser.query_batch([p for p, _s, _pattern in phrases], top=5)
        rankings[weight] = [
            [ACCEPTED if accepted(m.code, m.label, pattern) else m.code for m in ranked]
            for ranked, (_p, _s, pattern) in zip(answers, phrases, strict=True)
        ]
    first = rankings[semantic_weights[0]]
    return {
        f"w={weight:g}": bootstrap_metrics(ranked, truths, n_resamples=n_resamples, baseline=first)
        for weight, ranked in rankings.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m parcours.stats.labour.evaluate",
        description="Held-out evaluation of the job-title normaliser (ROME, ESCO, typed titles).",
    )
    parser.add_argument("--rome-dir", help="folder with the official unix_*_utf8.csv files")
    parser.add_argument("--esco-file", help="ESCO occupations_<lang>.csv: held-out alternative labels")
    parser.add_argument("--titles", help="TSV title<TAB>rome_code of typed titles (needs --rome-dir)")
    parser.add_argument(
        "--skills", help="TSV phrase<TAB>source<TAB>pattern of informal skills (needs --rome-dir; JSON out)"
    )
    parser.add_argument(
        "--esco-skills",
        nargs=2,
        metavar=("SKILLS_CSV", "PHRASES_TSV"),
        help="ESCO skills_<lang>.csv and a TSV phrase<TAB>source<TAB>pattern over ESCO skill labels (JSON out)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and of the noise")
    parser.add_argument("--test-size", type=float, default=0.2, help="share of labels held out")
    parser.add_argument("--lexical", action="store_true", help="no semantic stage (lexical stages only)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (0: no intervals)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    args = parser.parse_args(argv)
    if args.esco_skills:
        try:
            skills = evaluate_esco_skill_phrases(
                args.esco_skills[0], read_skill_phrases(args.esco_skills[1]), n_resamples=args.resamples
            )
        except BadInputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(json.dumps({"esco_skills": skills}, indent=2))
        if not (args.rome_dir or args.esco_file):
            return 0
    if not (args.rome_dir or args.esco_file):
        parser.error("give --rome-dir, --esco-file or both")

    def model():
        return JobTitleNormaliser() if args.lexical else semantic_normaliser()

    results: dict[str, EvaluationResult] = {}
    try:
        if args.rome_dir:
            referential = read_rome(args.rome_dir)
            results["rome"] = evaluate_rome(
                referential,
                test_size=args.test_size,
                random_state=args.seed,
                normaliser=model(),
                n_resamples=args.resamples,
            )
            if args.titles:
                titles, codes = read_labelled_titles(args.titles)
                results["typed"] = evaluate_titles(
                    referential, titles, codes, normaliser=model(), n_resamples=args.resamples
                )
            if args.skills:
                skills = evaluate_skill_phrases(
                    referential, read_skill_phrases(args.skills), n_resamples=args.resamples
                )
                print(json.dumps({"skills": skills}, indent=2))
                if not (args.titles or args.esco_file):
                    return 0
        elif args.titles or args.skills:
            raise BadInputError("--titles and --skills need --rome-dir")
        if args.esco_file:
            occupations = read_esco_occupations(args.esco_file).occupations
            results["esco"] = evaluate_esco(
                occupations,
                test_size=args.test_size,
                random_state=args.seed,
                normaliser=JobTitleNormaliser() if args.lexical else esco_normaliser(),
                n_resamples=args.resamples,
                code_texts=esco_hierarchy_texts(occupations, Path(args.esco_file).parent),
            )
    except BadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({name: r.to_dict() for name, r in results.items()}, indent=2))
    else:
        print("\n\n".join(r.summary() for r in results.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
