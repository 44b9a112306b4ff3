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
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from unidecode import unidecode

from parcours.stats.errors import BadInputError
from parcours.stats.labour.normalise import BaselineCharTfidf, JobTitleNormaliser
from parcours.stats.labour.rome import JobTitle, RomeReferential, gender_forms, read_rome

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


# --------------------------------------------------------------------------- evaluation


@dataclass
class EvaluationResult:
    """Metrics by method and query set, plus sizes and timings."""

    metrics: dict[str, dict[str, dict[str, float]]]
    n_train_labels: int
    n_test: int
    seconds: dict[str, float] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "metrics": self.metrics,
            "n_train_labels": self.n_train_labels,
            "n_test": self.n_test,
            "seconds": self.seconds,
            "params": self.params,
        }

    def summary(self) -> str:
        """A plain-text table of the metrics."""
        lines = [f"held-out appellations: {self.n_test}; training labels: {self.n_train_labels}"]
        lines.append(f"{'method':<12}{'queries':<8}{'acc@1':>8}{'acc@5':>8}{'MRR':>8}")
        for method, by_set in self.metrics.items():
            for name, m in by_set.items():
                lines.append(f"{method:<12}{name:<8}{m['acc@1']:>8.3f}{m['acc@5']:>8.3f}{m['mrr']:>8.3f}")
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


def evaluate_rome(
    referential: RomeReferential,
    *,
    test_size: float = 0.2,
    random_state: int = 0,
    normaliser: JobTitleNormaliser | None = None,
    noise: dict[str, float] | None = None,
) -> EvaluationResult:
    """Held-out evaluation of a normaliser against the char n-gram TF-IDF baseline.

    Parameters
    ----------
    referential : RomeReferential
        Parsed ROME set (see :func:`~parcours.stats.labour.rome.read_rome`).
    test_size : float, default 0.2
        Share of synonym appellations held out per fiche.
    random_state : int, default 0
        Seed of the split and of the noise.
    normaliser : JobTitleNormaliser, optional
        Unfitted normaliser to evaluate (default parameters when omitted).
    noise : dict, optional
        Keyword probabilities passed to :func:`add_noise`.

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
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    model = normaliser if normaliser is not None else JobTitleNormaliser()
    methods = {"normaliser": model, "baseline": BaselineCharTfidf()}
    for name, method in methods.items():
        start = time.perf_counter()
        if name == "normaliser":
            method.fit(labels, codes, code_labels, referential.code_texts())
        else:
            method.fit(labels, codes)
        seconds[f"{name}_fit"] = time.perf_counter() - start
        metrics[name] = {}
        for set_name, texts in queries.items():
            start = time.perf_counter()
            ranked = method.query_batch(texts, top=5)
            seconds[f"{name}_{set_name}_query"] = time.perf_counter() - start
            metrics[name][set_name] = ranking_metrics([[m.code for m in r] for r in ranked], truths)
    params = {"test_size": test_size, "random_state": random_state, "version": referential.version}
    return EvaluationResult(metrics, len(labels), len(test), seconds, params)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m parcours.stats.labour.evaluate",
        description="Held-out evaluation of the job-title normaliser.",
    )
    parser.add_argument("--rome-dir", required=True, help="folder with the official unix_*_utf8.csv files")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and of the noise")
    parser.add_argument("--test-size", type=float, default=0.2, help="share of appellations held out")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    args = parser.parse_args(argv)
    try:
        referential = read_rome(args.rome_dir)
        result = evaluate_rome(referential, test_size=args.test_size, random_state=args.seed)
    except BadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
