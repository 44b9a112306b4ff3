"""Coverage of publics × territories by operators, and referral delays between operators.

Pure computation (no Django): plain tuples in, plain objects out, so that it can be tested on a
small hand-built territory and reused on any export.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Offer:
    """An operator serving a public in a territory (from a convention or a service).
    `publics` may hold ALL_PUBLICS; `territory` may be a commune or any ancestor of it."""

    organisation: str
    publics: frozenset[str]
    territory: str


ALL_PUBLICS = "tous-publics"


@dataclass
class Cell:
    organisations: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.organisations)

    @property
    def is_gap(self) -> bool:
        return self.count == 0

    @property
    def is_overlap(self) -> bool:
        return self.count > 1


@dataclass
class Coverage:
    publics: list[str]
    communes: list[str]
    cells: dict[tuple[str, str], Cell]  # (public, commune) -> operators

    def cell(self, public: str, commune: str) -> Cell:
        return self.cells[(public, commune)]

    @property
    def gaps(self) -> list[tuple[str, str]]:
        return [key for key, cell in self.cells.items() if cell.is_gap]

    @property
    def overlaps(self) -> list[tuple[str, str]]:
        return [key for key, cell in self.cells.items() if cell.is_overlap]

    def commune_counts(self, public: str | None = None) -> dict[str, int]:
        """Operators per commune for one public, or, without a public, how many publics have no operator."""
        if public:
            return {c: self.cells[(public, c)].count for c in self.communes}
        return {c: sum(self.cells[(p, c)].is_gap for p in self.publics) for c in self.communes}


def compute_coverage(
    publics: Iterable[str], communes: Iterable[str], ancestors: dict[str, set[str]], offers: Iterable[Offer]
) -> Coverage:
    """Which operators cover each (public, commune).

    `ancestors[c]` lists the territories that contain commune `c` (itself included): an offer on a
    département covers all of its communes. An offer for ALL_PUBLICS covers every public.
    """
    publics, communes = list(publics), list(communes)
    cells = {(p, c): Cell() for p in publics for c in communes}
    communes_under: dict[str, list[str]] = defaultdict(list)
    for commune in communes:
        for territory in ancestors.get(commune, {commune}) | {commune}:
            communes_under[territory].append(commune)
    for offer in offers:
        covered_publics = (
            publics if ALL_PUBLICS in offer.publics else [p for p in publics if p in offer.publics]
        )
        for commune in communes_under.get(offer.territory, ()):
            for public in covered_publics:
                cells[(public, commune)].organisations.add(offer.organisation)
    return Coverage(publics, communes, cells)


@dataclass
class PairStats:
    sender: str
    receiver: str
    proposed: int
    accepted: int
    refused: int
    expired: int
    median_days_to_accept: float | None

    @property
    def decided(self) -> int:
        return self.accepted + self.refused + self.expired

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.decided if self.decided else None


def referral_pair_stats(rows: Iterable[tuple[str, str, object, object, str]]) -> list[PairStats]:
    """rows: (sender organisation, receiving organisation, proposed_at, accepted_at or None, status).

    The acceptance rate counts a referral as accepted once it was accepted (whatever came next),
    over the referrals that got an answer or expired; pending proposals are left out."""
    groups: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"n": 0, "acc": 0, "ref": 0, "exp": 0, "delays": []}
    )
    for sender, receiver, proposed_at, accepted_at, status in rows:
        group = groups[(sender, receiver)]
        group["n"] += 1
        if accepted_at is not None:
            group["acc"] += 1
            group["delays"].append((accepted_at - proposed_at).total_seconds() / 86400)
        elif status == "refused":
            group["ref"] += 1
        elif status == "expired":
            group["exp"] += 1
    return [
        PairStats(
            sender,
            receiver,
            g["n"],
            g["acc"],
            g["ref"],
            g["exp"],
            round(statistics.median(g["delays"]), 1) if g["delays"] else None,
        )
        for (sender, receiver), g in sorted(groups.items())
    ]


def svg_positions(
    points: dict[str, tuple[float, float]], width: int = 640, height: int = 480, margin: int = 40
) -> dict[str, tuple[float, float]]:
    """Place communes (lat, lon) on an SVG canvas, north up, keeping the aspect ratio of the map."""
    import math

    if not points:
        return {}
    lats = [p[0] for p in points.values()]
    mid_lat = math.radians((min(lats) + max(lats)) / 2)
    xs = {k: lon * math.cos(mid_lat) for k, (lat, lon) in points.items()}
    span_x = (max(xs.values()) - min(xs.values())) or 1e-6
    span_y = (max(lats) - min(lats)) or 1e-6
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    min_x, max_lat = min(xs.values()), max(lats)
    return {
        k: (round(margin + (xs[k] - min_x) * scale, 1), round(margin + (max_lat - lat) * scale, 1))
        for k, (lat, _lon) in points.items()
    }
