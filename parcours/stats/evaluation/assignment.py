"""Random assignment for experiments: batch designs and a sequential (intake-time) assigner.

Batch designs take a whole list of units and a ``random_state``; they are reproducible from the
seed with a given NumPy version:

* :func:`simple_assignment` — each unit independently, with given arm probabilities;
* :func:`stratified_assignment` — complete randomisation within strata (blocks), balanced;
* :func:`cluster_assignment` — whole clusters assigned, optionally within cluster strata;
* :func:`two_level_assignment` — clusters draw a treated share, then people within clusters
  (Crépon, Duflo, Gurgand, Rathelot & Zamora 2013).

Sequential assignment (:func:`sequential_assign`, :class:`SequentialAssigner`) serves people one
at a time as they enter an intake flow. Its arms come from permuted blocks per stratum whose
order is a keyed SHA-256 hash of ``(seed, experiment id, stratum, block)``: they never depend on
the NumPy version, so an audit can recompute every assignment years later from the log.

References
----------
Imbens, G. W. and Rubin, D. B. (2015). Causal Inference for Statistics, Social, and Biomedical
Sciences, chapters 4 and 9 (completely randomised and stratified experiments).

Crépon, B., Duflo, E., Gurgand, M., Rathelot, R. and Zamora, P. (2013). Do labor market policies
have displacement effects? Evidence from a clustered randomized experiment. QJE 128(2), 531-580.

Rosenberger, W. F. and Lachin, J. M. (2016). Randomization in Clinical Trials, 2nd ed., chapter 3
(permuted block designs).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parcours.stats.errors import BadInputError


def _probabilities(probabilities, n_arms: int | None = None) -> np.ndarray:
    if probabilities is None:
        if n_arms is None:
            n_arms = 2
        return np.full(n_arms, 1.0 / n_arms)
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 1 or len(p) < 2:
        raise BadInputError("probabilities need one value per arm (at least two arms)")
    if (p < 0).any() or not np.isclose(p.sum(), 1.0):
        raise BadInputError(f"arm probabilities must be non-negative and sum to 1, got {p.tolist()}")
    return p / p.sum()


def _labels(arms, n_arms: int) -> np.ndarray:
    if arms is None:
        return np.arange(n_arms)
    labels = np.asarray(arms)
    if len(labels) != n_arms:
        raise BadInputError(f"{len(labels)} arm labels for {n_arms} probabilities")
    return labels


def _balanced_counts(n: int, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Arm sizes ``floor(n p_k)`` or one more, each arm's expected size exactly ``n p_k``.

    The ``n - sum(floor)`` leftover places go to arms by systematic sampling on the fractional
    parts (random start), so arm ``k`` gets an extra place with probability ``frac(n p_k)``.
    """
    target = n * p
    base = np.floor(target + 1e-12).astype(int)
    frac = np.clip(target - base, 0.0, None)
    extra = n - int(base.sum())
    if extra > 0:
        order = rng.permutation(len(p))
        cum = np.concatenate([[0.0], np.cumsum(frac[order])])
        points = rng.random() + np.arange(extra)
        hits = np.searchsorted(cum, points, side="right") - 1
        base[order[np.clip(hits, 0, len(p) - 1)]] += 1
    return base


def _complete(n: int, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    counts = _balanced_counts(n, p, rng)
    return rng.permutation(np.repeat(np.arange(len(p)), counts))


def simple_assignment(n: int, probabilities=None, *, arms=None, random_state=None) -> np.ndarray:
    """Independent (Bernoulli / multinomial) assignment of ``n`` units.

    Parameters
    ----------
    n : int
    probabilities : sequence of float, optional
        One per arm; default two arms at 1/2.
    arms : sequence, optional
        Arm labels (default ``0..K-1``, 0 being control).
    random_state : int, Generator or None

    Returns
    -------
    ndarray of shape (n,)
        Arm label per unit. Arm sizes are random: use :func:`stratified_assignment` for fixed sizes.
    """
    p = _probabilities(probabilities)
    rng = np.random.default_rng(random_state)
    return _labels(arms, len(p))[rng.choice(len(p), size=int(n), p=p)]


def stratified_assignment(strata, probabilities=None, *, arms=None, random_state=None) -> np.ndarray:
    """Complete randomisation within each stratum (block).

    In a stratum of size ``n_s`` arm ``k`` receives ``floor(n_s p_k)`` or ``ceil(n_s p_k)`` units,
    the leftovers being allocated at random so every unit has probability exactly ``p_k``.

    Parameters
    ----------
    strata : array_like of shape (n,)
        Stratum label per unit (pass a constant for complete randomisation).
    probabilities : sequence of float, optional
    arms : sequence, optional
    random_state : int, Generator or None

    Returns
    -------
    ndarray of shape (n,)
    """
    labels_in = np.asarray(strata)
    if labels_in.ndim != 1 or len(labels_in) == 0:
        raise BadInputError("strata must be a non-empty one-dimensional array")
    codes, _ = pd.factorize(labels_in)
    if (codes < 0).any():
        raise BadInputError("strata contain missing values")
    p = _probabilities(probabilities)
    rng = np.random.default_rng(random_state)
    out = np.empty(len(codes), dtype=np.intp)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for members in np.split(order, bounds):
        out[members] = _complete(len(members), p, rng)
    return _labels(arms, len(p))[out]


def complete_assignment(n: int, probabilities=None, *, arms=None, random_state=None) -> np.ndarray:
    """Complete randomisation of ``n`` units (fixed arm sizes); see :func:`stratified_assignment`."""
    return stratified_assignment(np.zeros(int(n)), probabilities, arms=arms, random_state=random_state)


def cluster_assignment(
    clusters, probabilities=None, *, strata=None, arms=None, random_state=None
) -> np.ndarray:
    """Assign whole clusters (complete randomisation of clusters, optionally within cluster strata).

    Parameters
    ----------
    clusters : array_like of shape (n,)
        Cluster label per unit.
    probabilities : sequence of float, optional
    strata : array_like of shape (n,), optional
        Stratum per unit, constant within a cluster.
    arms : sequence, optional
    random_state : int, Generator or None

    Returns
    -------
    ndarray of shape (n,)
        Arm of each unit (its cluster's arm).
    """
    codes, uniques = pd.factorize(np.asarray(clusters))
    if (codes < 0).any():
        raise BadInputError("clusters contain missing values")
    if strata is None:
        cluster_strata = np.zeros(len(uniques))
    else:
        frame = pd.DataFrame({"c": codes, "s": np.asarray(strata)})
        per_cluster = frame.groupby("c")["s"].agg(["nunique", "first"])
        if (per_cluster["nunique"] > 1).any():
            raise BadInputError("strata vary within a cluster; stratify clusters, not individuals")
        cluster_strata = per_cluster["first"].to_numpy()
    cluster_arm = stratified_assignment(cluster_strata, probabilities, arms=arms, random_state=random_state)
    return cluster_arm[codes]


def two_level_assignment(
    clusters,
    shares=(0.0, 0.25, 0.5, 0.75, 1.0),
    *,
    share_probabilities=None,
    strata=None,
    random_state=None,
) -> pd.DataFrame:
    """Two-level randomisation: clusters draw a treated share, then people within clusters.

    Step 1 assigns each cluster one of ``shares`` by complete randomisation of clusters
    (within cluster strata if given). Step 2 treats, in a cluster of size ``m`` with share ``p``,
    ``floor(m p)`` or ``ceil(m p)`` people drawn completely at random (each person's
    probability is exactly ``p``). Comparing untreated people in treated clusters with people
    in 0 % clusters measures displacement (see ``estimate_displacement``).

    Parameters
    ----------
    clusters : array_like of shape (n,)
        Cluster (e.g. territory) of each person.
    shares : sequence of float
        Possible treated shares; include 0 for pure-control clusters.
    share_probabilities : sequence of float, optional
        Probability of each share for a cluster (default equal).
    strata : array_like of shape (n,), optional
        Cluster strata, constant within a cluster.
    random_state : int, Generator or None

    Returns
    -------
    DataFrame
        Columns ``cluster``, ``share`` (the cluster's draw) and ``treatment`` (0/1), one row per
        person in input order.

    References
    ----------
    Crépon, B. et al. (2013). QJE 128(2), 531-580.
    """
    shares = np.asarray(shares, dtype=float)
    if shares.ndim != 1 or len(shares) < 2 or ((shares < 0) | (shares > 1)).any():
        raise BadInputError("shares must be at least two values in [0, 1]")
    labels = np.asarray(clusters)
    rng = np.random.default_rng(random_state)
    share = cluster_assignment(
        labels,
        _probabilities(share_probabilities, len(shares)),
        strata=strata,
        arms=shares,
        random_state=rng,
    )
    codes, _ = pd.factorize(labels)
    treatment = np.zeros(len(labels), dtype=np.int8)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for members in np.split(order, bounds):
        p = float(share[members[0]])
        treatment[members] = _complete(len(members), np.array([1.0 - p, p]), rng)
    return pd.DataFrame({"cluster": labels, "share": share, "treatment": treatment})


# --------------------------------------------------------------------------- sequential assignment


def _hash_unit_interval(*parts) -> float:
    """A uniform number in [0, 1) from SHA-256 of the parts (stable across versions and machines)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def block_arms(allocation) -> list[int]:
    """Arms of one block: arm ``k`` repeated ``allocation[k]`` times (e.g. ``(1, 1)`` or ``(2, 1)``)."""
    alloc = [int(a) for a in allocation]
    if len(alloc) < 2 or min(alloc) < 0 or sum(alloc) == 0:
        raise BadInputError(f"allocation needs at least two non-negative arm counts, got {list(allocation)}")
    return [arm for arm, count in enumerate(alloc) for _ in range(count)]


def sequential_assign(
    position: int,
    *,
    seed: int | str,
    experiment_id: int | str,
    stratum: str = "",
    allocation=(1, 1),
    blocks_per_size=None,
) -> int:
    """Arm of the ``position``-th unit (0-based) to enter ``stratum`` of an experiment.

    Units of a stratum fill permuted blocks of ``B = sum(allocation)`` units (times a multiplier
    from ``blocks_per_size``); a block contains each arm exactly ``allocation[k]`` (times the
    multiplier) times, in an order given by hashing ``(seed, experiment_id, stratum, block, slot)``. After every
    complete block the arms are exactly balanced within the stratum; at any time the imbalance
    is less than one block.

    Parameters
    ----------
    position : int
        The stratum's counter value for this unit (0 for the first unit of the stratum).
    seed : int or str
        The experiment's secret seed, fixed at registration.
    experiment_id : int or str
    stratum : str
        Stratum key (e.g. ``"agency=75011|age=<26"``); "" when unstratified.
    allocation : sequence of int
        Units per arm in a block: ``(1, 1)`` = 1:1 blocks of 2, ``(2, 2)`` = blocks of 4, ``(2, 1)``
        = 2:1 treatment... arm indices are positions in this sequence (0 = control).
    blocks_per_size : sequence of int, optional
        Random block sizes, as multiples of the base block: ``(1, 2)`` mixes blocks of 2 and 4
        so that counselors cannot guess the last arm of a block. Blocks come in cycles holding
        one block of each size in hashed order, so a position maps to its block in O(1).

    Returns
    -------
    int
        Arm index.
    """
    if position < 0:
        raise BadInputError("position must be >= 0")
    base = block_arms(allocation)
    multipliers = [1] if not blocks_per_size else [int(m) for m in blocks_per_size]
    if min(multipliers) < 1:
        raise BadInputError("block multipliers must be >= 1")
    cycle_len = len(base) * sum(multipliers)
    cycle, offset = divmod(int(position), cycle_len)
    keys = [
        _hash_unit_interval("size", seed, experiment_id, stratum, cycle, j) for j in range(len(multipliers))
    ]
    sizes = [len(base) * multipliers[j] for j in sorted(range(len(multipliers)), key=keys.__getitem__)]
    index, start = 0, 0
    while offset >= start + sizes[index]:
        start += sizes[index]
        index += 1
    size = sizes[index]
    block = f"{cycle}.{index}"
    arms = base * (size // len(base))
    slot_keys = [
        _hash_unit_interval("slot", seed, experiment_id, stratum, block, slot) for slot in range(size)
    ]
    order = sorted(range(size), key=slot_keys.__getitem__)
    return arms[order[offset - start]]


def hashed_assign(unit_id, *, seed: int | str, experiment_id: int | str, probabilities=(0.5, 0.5)) -> int:
    """Stateless simple randomisation: the arm depends only on ``(seed, experiment_id, unit_id)``.

    Needs no counter (useful when several servers assign without coordination) but arm sizes
    are random; prefer :func:`sequential_assign` when balance matters.

    Returns
    -------
    int
        Arm index.
    """
    p = _probabilities(probabilities)
    u = _hash_unit_interval("unit", seed, experiment_id, unit_id)
    return int(min(np.searchsorted(np.cumsum(p), u, side="right"), len(p) - 1))


@dataclass
class SequentialAssigner:
    """In-memory sequential assigner: one counter per stratum, idempotent per unit id.

    This mirrors what the platform stores in the database (a counter row per experiment and
    stratum, and a unique assignment row per experiment and unit); it is used by simulations,
    tests and the audit that recomputes a live experiment's assignments from its log.

    Parameters
    ----------
    seed : int or str
    experiment_id : int or str
    allocation : sequence of int
    blocks_per_size : sequence of int, optional

    Attributes
    ----------
    counters_ : dict
        Units assigned so far per stratum.
    assignments_ : dict
        ``unit_id -> (stratum, position, arm)``.
    """

    seed: int | str
    experiment_id: int | str
    allocation: tuple = (1, 1)
    blocks_per_size: tuple | None = None
    counters_: dict = field(default_factory=dict)
    assignments_: dict = field(default_factory=dict)

    def assign(self, unit_id, stratum: str = "") -> int:
        """Arm of ``unit_id``; a unit already assigned gets its recorded arm back."""
        if unit_id in self.assignments_:
            return self.assignments_[unit_id][2]
        position = self.counters_.get(stratum, 0)
        arm = sequential_assign(
            position,
            seed=self.seed,
            experiment_id=self.experiment_id,
            stratum=stratum,
            allocation=self.allocation,
            blocks_per_size=self.blocks_per_size,
        )
        self.counters_[stratum] = position + 1
        self.assignments_[unit_id] = (stratum, position, arm)
        return arm
