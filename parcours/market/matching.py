"""Matching both ways, with explanations: a person → ranked offers, an offer → ranked people of the
counselor's consented portfolio.

Person → offers, for 1M offers within a bounded time (see bench/bench_matching.py):

1. candidates: canonical active offers with ``rome_code IN (wanted codes)`` inside the bounding box
   of the mobility radius, on the partial index ``offer_match`` (rome_code, latitude, longitude);
   the ``MAX_CANDIDATES`` most recent only, so a dense city cannot make the query unbounded;
2. ranking in numpy: exact haversine distance (outside the radius → dropped), then the score below;
3. the top ``limit`` offers are read in one more query. Two queries in all.

Score (out of 100): occupation 50 (a decided target occupation) or 40 (another wanted one),
distance up to 20 (linear, 20 at the door, 0 at the radius), shared skills up to 20 (share of the
offer's skills the person has), contract 7 (a wanted type), hours 3 (full/part time as wanted).
Ties: the most recent offer first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Exists, OuterRef, Value
from django.utils.translation import gettext as _

from parcours.cases import access
from parcours.market import sources
from parcours.market.importers import normalise_text
from parcours.market.models import ContractType, JobOffer, haversine_km
from parcours.people.models import Consent

DEFAULT_RADIUS_KM = 30
MAX_CANDIDATES = 2000
MAX_PORTFOLIO = 2000
W_OCCUPATION_DECIDED, W_OCCUPATION, W_NEAR_OCCUPATION = 50.0, 40.0, 15.0
W_DISTANCE, W_SKILLS, W_CONTRACT, W_HOURS = 20.0, 20.0, 7.0, 3.0


@dataclass
class Criteria:
    """What a person looks for. ``rome_codes`` in priority order; ``decided_codes`` ⊆ rome_codes."""

    rome_codes: list[str] = field(default_factory=list)
    decided_codes: set[str] = field(default_factory=set)
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    contract_types: set[str] = field(default_factory=set)
    full_time: bool | None = None
    skills: list[str] = field(default_factory=list)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass
class Match:
    """One ranked result: the offer (or the episode), its score, distance and reasons."""

    obj: object
    score: float
    distance_km: float | None
    reasons: list[str]

    @property
    def explanation(self) -> str:
        return " ; ".join(self.reasons)


def criteria_for_episode(
    episode, *, radius_km: float = DEFAULT_RADIUS_KM, rome_codes=None, **preferences
) -> Criteria:
    """Criteria from the episode's career project (labour, when installed) and the person's
    commune; explicit ``rome_codes`` replace the project's targets."""
    targets = sources.target_occupations([episode.pk]).get(episode.pk, [])
    if rome_codes:
        codes = [c for c in dict.fromkeys(rome_codes) if c]
        decided = {c for c, is_decided in targets if is_decided and c in codes}
    else:
        codes = list(dict.fromkeys(c for c, _d in targets))
        decided = {c for c, is_decided in targets if is_decided}
    commune = episode.person.commune
    skills = sources.declared_skills([episode.pk], [episode.person_id]).get(episode.pk, [])
    return Criteria(
        rome_codes=codes,
        decided_codes=decided,
        latitude=commune.latitude if commune else None,
        longitude=commune.longitude if commune else None,
        radius_km=radius_km,
        skills=skills,
        **preferences,
    )


def _haversine(lat, lon, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


def _km(value: float) -> str:
    return _("à %(km)s km") % {"km": max(1, round(value)) if value >= 0.5 else "moins de 1"}


def _skill_keys(labels) -> set[str]:
    return {k for k in (normalise_text(label) for label in labels) if k}


def match_offers(criteria: Criteria, *, limit: int = 20, max_candidates: int = MAX_CANDIDATES) -> list[Match]:
    """The ``limit`` best offers for ``criteria`` (see the module docstring)."""
    offers = JobOffer.objects.matchable()
    if criteria.rome_codes:
        offers = offers.filter(rome_code__in=criteria.rome_codes)
    if criteria.has_location:
        offers = offers.in_box(criteria.latitude, criteria.longitude, criteria.radius_km)
    want_skills = _skill_keys(criteria.skills)
    skills_column = "skill_keys" if want_skills else Value("")
    rows = list(
        offers.order_by("-posted_at", "-id").values_list(
            "id", "rome_code", "latitude", "longitude", "contract_type", "full_time", skills_column
        )[:max_candidates]
    )
    if not rows:
        return []
    ids = np.array([r[0] for r in rows])
    score = np.zeros(len(rows))
    decided = np.array([r[1] in criteria.decided_codes for r in rows])
    if criteria.rome_codes:
        score += np.where(decided, W_OCCUPATION_DECIDED, W_OCCUPATION)
    distance = np.full(len(rows), np.nan)
    if criteria.has_location:
        lats = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=float)
        lons = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float)
        distance = _haversine(criteria.latitude, criteria.longitude, lats, lons)
        keep = distance <= criteria.radius_km
        score += W_DISTANCE * (1 - np.clip(distance / criteria.radius_km, 0, 1))
    else:
        keep = np.ones(len(rows), dtype=bool)
    shared: list[list[str]] = [[] for _row in rows]
    if want_skills:
        for i, row in enumerate(rows):
            offer_keys = [k for k in (row[6] or "").split("|") if k]
            common = [k for k in offer_keys if k in want_skills]
            if offer_keys:
                score[i] += W_SKILLS * len(common) / len(offer_keys)
            shared[i] = common
    if criteria.contract_types:
        score += W_CONTRACT * np.array([r[4] in criteria.contract_types for r in rows])
    if criteria.full_time is not None:
        score += W_HOURS * np.array([r[5] is criteria.full_time for r in rows])
    # Rows come most recent first: a stable sort on -score keeps recency as the tie-breaker.
    order = [i for i in np.argsort(-score, kind="stable") if keep[i]][:limit]
    by_id = JobOffer.objects.in_bulk([int(ids[i]) for i in order])
    # get_contract_type_display() re-translates every choice on each call: once per request here.
    contract_labels = {c.value: str(c.label) for c in ContractType}
    # Sentences translated once per call, not once per result.
    text = {
        "decided": _("métier visé"),
        "wanted": _("métier recherché"),
        "occupation": _("%(what)s (%(code)s)"),
        "km": _("à %(km)s km"),
        "under_1": _("moins de 1"),
        "skills": _("%(n)s compétence(s) en commun"),
        "contract": _("%(contract)s souhaité"),
        "not_contract": _("%(contract)s (non souhaité)"),
        "full": _("temps plein souhaité"),
        "part": _("temps partiel souhaité"),
    }
    matches = []
    for i in order:
        offer = by_id[int(ids[i])]
        reasons = []
        if criteria.rome_codes:
            label = text["decided"] if decided[i] else text["wanted"]
            reasons.append(text["occupation"] % {"what": label, "code": offer.rome_code})
        if not math.isnan(distance[i]):
            km = distance[i]
            reasons.append(text["km"] % {"km": max(1, round(km)) if km >= 0.5 else text["under_1"]})
        if shared[i]:
            names = ", ".join(s["label"] for s in offer.skills if normalise_text(s["label"]) in shared[i])
            reasons.append(text["skills"] % {"n": len(shared[i])} + " : " + names[:200])
        if criteria.contract_types:
            key = "contract" if offer.contract_type in criteria.contract_types else "not_contract"
            reasons.append(text[key] % {"contract": contract_labels[offer.contract_type]})
        if criteria.full_time is not None and offer.full_time is criteria.full_time:
            reasons.append(text["full"] if offer.full_time else text["part"])
        found = None if math.isnan(distance[i]) else float(distance[i])
        matches.append(Match(offer, round(float(score[i]), 1), found, reasons))
    return matches


def consented_portfolio(user):
    """Open episodes of which ``user`` is the referent, whose person consented to be contacted by
    the episode's organisation (Consent scope CONTACT), through the scoped querysets."""

    consent = Consent.objects.active().filter(
        person_id=OuterRef("person_id"),
        organisation_id=OuterRef("organisation_id"),
        scope=Consent.Scope.CONTACT,
    )
    return access.open_episodes(user).filter(referent=user).filter(Exists(consent))


def match_people(
    offer: JobOffer, user, *, radius_km: float = DEFAULT_RADIUS_KM, limit: int = 20
) -> list[Match]:
    """People of the user's consented portfolio for whom ``offer`` fits, best first.

    A person is shown when the offer's occupation is one of their target occupations (or of the
    same ROME sub-domain: "métier proche") and they live within ``radius_km`` of it (or their
    commune is unknown, said in the explanation). Bounded: at most ``MAX_PORTFOLIO`` episodes,
    four queries whatever their number.
    """
    episodes = list(
        consented_portfolio(user).select_related("person", "person__commune").order_by("pk")[:MAX_PORTFOLIO]
    )
    if not episodes:
        return []
    ids = [e.pk for e in episodes]
    targets = sources.target_occupations(ids)
    skills = sources.declared_skills(ids, [e.person_id for e in episodes])
    offer_keys = [k for k in offer.skill_keys.split("|") if k]
    matches = []
    for episode in episodes:
        codes = targets.get(episode.pk, [])
        reasons = []
        if any(code == offer.rome_code for code, _d in codes):
            decided = any(code == offer.rome_code and d for code, d in codes)
            score = W_OCCUPATION_DECIDED if decided else W_OCCUPATION
            label = _("métier visé") if decided else _("métier recherché")
            reasons.append(_("%(what)s (%(code)s)") % {"what": label, "code": offer.rome_code})
        elif any(code[:3] == offer.rome_code[:3] for code, _d in codes):
            score = W_NEAR_OCCUPATION
            near = next(code for code, _d in codes if code[:3] == offer.rome_code[:3])
            reasons.append(_("métier proche (%(code)s)") % {"code": near})
        else:
            continue
        commune = episode.person.commune
        distance = None
        if commune and commune.latitude is not None and offer.latitude is not None:
            distance = haversine_km(commune.latitude, commune.longitude, offer.latitude, offer.longitude)
            if distance > radius_km:
                continue
            score += W_DISTANCE * (1 - distance / radius_km)
            reasons.append(_km(distance))
        else:
            reasons.append(_("distance inconnue"))
        if offer_keys:
            have = _skill_keys(skills.get(episode.pk, []))
            common = [k for k in offer_keys if k in have]
            if common:
                score += W_SKILLS * len(common) / len(offer_keys)
                reasons.append(_("%(n)s compétence(s) en commun") % {"n": len(common)})
        matches.append(Match(episode, round(score, 1), distance, reasons))
    matches.sort(key=lambda m: (-m.score, m.obj.pk))
    return matches[:limit]


def contract_choices() -> list[tuple[str, str]]:
    return [(c.value, c.label) for c in ContractType]
