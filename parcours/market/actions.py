"""State changes of the market app: imports (see importers.py), tension values, hiring models and
predictions. Views, API, admin and the ``market`` command call these functions.

Every QuerySet → DataFrame conversion of the app is here (one place per fact).
"""

from __future__ import annotations

import datetime
import logging

import pandas as pd
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from parcours.cases.models import SupportEpisode
from parcours.market import sources
from parcours.market.models import (
    Establishment,
    Hire,
    HiringModelRun,
    HiringPrediction,
    JobOffer,
    TensionValue,
)
from parcours.organisations.models import Territory
from parcours.stats.market.hiring import (
    HiringModel,
    evaluate_hiring_model,
    month_index,
    month_start,
    occupation_split,
    training_cutoffs,
)
from parcours.stats.market.tension import TENSION_DEFINITION_VERSION, compute_tension

logger = logging.getLogger(__name__)
CHUNK = 5000


def departement_code(insee: str) -> str:
    """The département of a commune INSEE code (2A/2B for Corsica, 3 digits overseas)."""
    if not insee:
        return ""
    return insee[:3] if insee.startswith("97") else insee[:2]


def _departements() -> dict[str, int]:
    return dict(Territory.objects.filter(level=Territory.Level.DEPARTEMENT).values_list("insee_code", "pk"))


def _add_months(day: datetime.date, months: int) -> datetime.date:
    return month_start(month_index(day) + months)


# --- Tension --------------------------------------------------------------------------------


def tension_frames(
    start: datetime.date, end: datetime.date
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Offers, seekers and hires of the period, by occupation × département (territory pk)."""

    deps = _departements()
    start_dt = timezone.make_aware(datetime.datetime.combine(start, datetime.time()))
    end_dt = timezone.make_aware(datetime.datetime.combine(end, datetime.time()))
    offers = JobOffer.objects.filter(duplicate_of__isnull=True, posted_at__gte=start_dt, posted_at__lt=end_dt)
    offer_rows = [
        (code, deps.get(departement_code(insee)), posted)
        for code, insee, posted in offers.values_list("rome_code", "commune_insee", "posted_at").iterator(
            chunk_size=CHUNK
        )
    ]
    offers_df = pd.DataFrame(offer_rows, columns=["rome_code", "territory", "posted_on"]).dropna(
        subset=["territory"]
    )
    offers_df["posted_on"] = pd.to_datetime(offers_df["posted_on"], utc=True).dt.tz_localize(None)

    seeker_rows = []
    episodes = SupportEpisode.objects.filter(started_on__lt=end).filter(ended_on__isnull=True)
    batch: list[tuple[int, int, str]] = []
    for row in episodes.values_list("pk", "person_id", "person__commune__insee_code").iterator(
        chunk_size=CHUNK
    ):
        batch.append(row)
        if len(batch) >= CHUNK:
            seeker_rows += _seekers(batch, deps)
            batch = []
    seeker_rows += _seekers(batch, deps)
    seekers_df = pd.DataFrame(seeker_rows, columns=["person", "rome_code", "territory"])

    hires = Hire.objects.filter(hired_on__gte=start, hired_on__lt=end).exclude(rome_code="")
    hire_rows = [
        (code, deps.get(departement_code(insee or "")), day)
        for code, insee, day in hires.values_list(
            "rome_code", "establishment__commune_insee", "hired_on"
        ).iterator(chunk_size=CHUNK)
    ]
    hires_df = pd.DataFrame(hire_rows, columns=["rome_code", "territory", "hired_on"]).dropna(
        subset=["territory"]
    )
    return offers_df, seekers_df, hires_df


def _seekers(batch, deps) -> list[tuple[int, str, int]]:
    targets = sources.target_occupations([pk for pk, _p, _c in batch])
    rows = []
    for pk, person_id, insee in batch:
        territory = deps.get(departement_code(insee or ""))
        if territory is None:
            continue
        rows += [(person_id, code, territory) for code, _d in targets.get(pk, [])]
    return rows


@transaction.atomic
def compute_tension_values(
    *, end: datetime.date | None = None, months: int = 12, min_seekers: int = 5
) -> int:
    """Compute and store the tension of every occupation × département over ``months`` months
    ending (excluded) at the first day of ``end``'s month. Recomputing a period replaces its rows."""
    end = month_start(month_index(end or timezone.localdate()))
    start = _add_months(end, -months)
    offers, seekers, hires = tension_frames(start, end)
    table = compute_tension(offers, seekers, hires, start=start, end=end, min_seekers=min_seekers)
    TensionValue.objects.filter(
        period_start=start, period_end=end, definition_version=TENSION_DEFINITION_VERSION
    ).delete()
    now = timezone.now()
    rows = [
        TensionValue(
            rome_code=r.rome_code,
            territory_id=int(r.territory),
            period_start=start,
            period_end=end,
            offers=int(r.offers),
            seekers=int(r.seekers),
            hires=int(r.hires),
            ratio=None if pd.isna(r.ratio) else float(r.ratio),
            hires_per_seeker=None if pd.isna(r.hires_per_seeker) else float(r.hires_per_seeker),
            level=None if pd.isna(r.level) else int(r.level),
            definition_version=TENSION_DEFINITION_VERSION,
            computed_at=now,
        )
        for r in table.itertuples(index=False)
    ]
    TensionValue.objects.bulk_create(rows, batch_size=1000)
    logger.info("tension computed start=%s end=%s cells=%s", start, end, len(rows))
    return len(rows)


# --- Hiring ---------------------------------------------------------------------------------


def hiring_frames(until: datetime.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hires before ``until`` and all establishments, as the science core wants them."""
    hires = pd.DataFrame(
        list(
            Hire.objects.filter(hired_on__lt=until)
            .values_list("establishment_id", "hired_on", "rome_code")
            .iterator(chunk_size=CHUNK)
        ),
        columns=["establishment", "hired_on", "rome_code"],
    )
    establishments = pd.DataFrame(
        list(Establishment.objects.values_list("pk", "naf_code").order_by("pk").iterator(chunk_size=CHUNK)),
        columns=["establishment", "naf"],
    )
    return hires, establishments


@transaction.atomic
def train_hiring_model(
    *, as_of: datetime.date | None = None, kind: str = "glm", random_state: int = 0
) -> HiringModelRun:
    """Evaluate the model on the last ``horizon`` months before ``as_of`` (trained on what came
    before), against the naive baseline, and record the run with its metrics."""
    as_of = month_start(month_index(as_of or timezone.localdate()))
    horizon = 6
    cutoff = _add_months(as_of, -horizon)
    hires, establishments = hiring_frames(as_of)
    if hires.empty or establishments.empty:
        raise ValueError("no hiring declarations to learn from: import some with `market import-hires`")
    evaluation = evaluate_hiring_model(
        hires, establishments, cutoff, kind=kind, horizon=horizon, random_state=random_state
    )
    version = f"hiring-{kind}-{as_of:%Y%m}-{timezone.now():%Y%m%d%H%M%S%f}"
    run = HiringModelRun.objects.create(
        version=version,
        kind=kind,
        trained_until=as_of,
        params={"horizon_months": horizon, "n_cutoffs": 3, "random_state": random_state},
        metrics=evaluation.as_dict(),
    )
    logger.info(
        "hiring run=%s capture_model=%.3f capture_baseline=%.3f",
        run.version,
        evaluation.capture_model,
        evaluation.capture_baseline,
    )
    return run


def _reason(past_12: int, past_24: int, all_occupations: bool) -> str:
    with override("fr"):
        if past_12:
            if all_occupations:
                return ngettext(
                    "a recruté %(n)s personne (tous métiers) au cours des 12 derniers mois",
                    "a recruté %(n)s personnes (tous métiers) au cours des 12 derniers mois",
                    past_12,
                ) % {"n": past_12}
            return ngettext(
                "a recruté %(n)s personne dans ce métier au cours des 12 derniers mois",
                "a recruté %(n)s personnes dans ce métier au cours des 12 derniers mois",
                past_12,
            ) % {"n": past_12}
        if past_24:
            return ngettext(
                "a recruté %(n)s personne dans ce métier il y a un à deux ans",
                "a recruté %(n)s personnes dans ce métier il y a un à deux ans",
                past_24,
            ) % {"n": past_24}
        return _("aucune embauche déclarée récemment")


@transaction.atomic
def predict_hiring(run: HiringModelRun | None = None, *, as_of: datetime.date | None = None) -> int:
    """Fit the run's model on every declaration before ``as_of`` and store its predictions for the
    next months: one row per establishment (all occupations) and one per establishment ×
    occupation it hired in. Replaces the run's earlier predictions."""
    run = run or HiringModelRun.objects.order_by("-created_at", "-pk").first()
    if run is None:
        raise ValueError("no hiring model: run `market train-hiring` first")
    as_of = month_start(month_index(as_of or run.trained_until))
    horizon = int(run.params.get("horizon_months", 6))
    hires, establishments = hiring_frames(as_of)
    model = HiringModel(kind=run.kind, horizon=horizon, random_state=int(run.params.get("random_state", 0)))
    model.fit(
        hires, establishments, training_cutoffs(as_of, horizon=horizon, n=int(run.params.get("n_cutoffs", 3)))
    )
    predicted = model.predict(hires, establishments, as_of)
    split = occupation_split(predicted, hires, as_of)
    end = _add_months(as_of, horizon)
    HiringPrediction.objects.filter(run=run).delete()
    rows = []
    for r in predicted.itertuples(index=False):
        if r.h24 == 0 and r.expected < 0.05:
            continue  # nothing to say about an establishment that never declared a hire
        rows.append(
            HiringPrediction(
                run=run,
                establishment_id=int(r.establishment),
                rome_code="",
                horizon_start=as_of,
                horizon_end=end,
                expected_hires=float(r.expected),
                past_hires_12=int(r.h12),
                past_hires_24=int(r.h24),
                reason=_reason(int(r.h12), int(r.h24), True),
            )
        )
    for r in split.itertuples(index=False):
        rows.append(
            HiringPrediction(
                run=run,
                establishment_id=int(r.establishment),
                rome_code=r.rome_code,
                horizon_start=as_of,
                horizon_end=end,
                expected_hires=float(r.expected),
                past_hires_12=int(r.past_12),
                past_hires_24=int(r.past_24),
                reason=_reason(int(r.past_12), int(r.past_24), False),
            )
        )
    HiringPrediction.objects.bulk_create(rows, batch_size=1000)
    logger.info("hiring predictions run=%s rows=%s", run.pk, len(rows))
    return len(rows)
