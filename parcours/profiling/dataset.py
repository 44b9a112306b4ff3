"""The one place where episodes become a DataFrame for the profiling core (training and scoring).

One row per support episode. Features describe the situation **at entry** (what the counselor
knows at intake, plus the latest completed diagnosis when there is one):

- ``age`` at the start of the episode; ``status``, ``minimum_income``, ``priority_area`` of the person;
- ``digital_autonomy``: from the latest completed diagnosis, else the person's current level;
- ``barriers_total`` and one count per non-sensitive barrier kind (housing, mobility, family,
  finances, language, administrative) from the latest completed diagnosis. Health and justice
  barriers enter **nowhere**, not even the total: the score and its explanations are shown to
  counselors who may not see a sensitive section, and no detail (severity, note) is read at all;
- ``intensity_start`` (the intensity recorded when the episode was opened), ``organisation_kind``,
  ``prior_episodes`` (episodes of the same person started earlier, any organisation).

``sex`` is in the frame for the fairness audit only: it is not a predictor.
``started_on`` is the date column (temporal evaluation split).

The outcome ``adverse`` (1 = adverse) is by default "no durable return to employment within 12
months of entry": the episode did not end with one of ``PARCOURS_PROFILING_OUTCOME["positive_end_reasons"]``
within ``horizon_days`` of its start. It is known (0/1) for episodes that ended that way, or that
started at least ``horizon_days`` ago; otherwise it is missing (NaN). Training uses only the
episodes started at least ``horizon_days`` ago (closed ones, and open ones past the horizon, whose
outcome is then adverse).
"""

import datetime
import logging

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.cases.models import CaseEvent, EndReason, SupportEpisode
from parcours.diagnosis.models import Barrier, Diagnosis
from parcours.ops.routers import analytics

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
TARGET = "adverse"
DATE = "started_on"
GROUPS = ["sex"]
VISIBLE_BARRIER_KINDS = ["housing", "mobility", "family", "finances", "language", "administrative"]
FEATURES = [
    "age",
    "status",
    "minimum_income",
    "priority_area",
    "digital_autonomy",
    "barriers_total",
    *[f"barriers_{kind}" for kind in VISIBLE_BARRIER_KINDS],
    "intensity_start",
    "organisation_kind",
    "prior_episodes",
]
LABELS = {
    "age": "Âge",
    "status": "Situation",
    "minimum_income": "Bénéficiaire du RSA",
    "priority_area": "Habite un quartier prioritaire",
    "digital_autonomy": "Autonomie numérique",
    "barriers_total": "Nombre de freins périphériques",
    "barriers_housing": "Freins liés au logement",
    "barriers_mobility": "Freins liés à la mobilité",
    "barriers_family": "Freins familiaux / garde d'enfants",
    "barriers_finances": "Difficultés financières",
    "barriers_language": "Freins de langue / savoirs de base",
    "barriers_administrative": "Difficultés administratives",
    "intensity_start": "Intensité à l'entrée",
    "organisation_kind": "Type de structure",
    "prior_episodes": "Accompagnements antérieurs",
}


def value_labels() -> dict[str, dict]:
    """Labels of the coded values of the categorical features (codes are never shown to people)."""
    from parcours.cases.models import Intensity
    from parcours.organisations.models import Organisation
    from parcours.people.models import DigitalAutonomy, Status

    return {
        "status": dict(Status.choices),
        "digital_autonomy": dict(DigitalAutonomy.choices),
        "intensity_start": dict(Intensity.choices),
        "organisation_kind": dict(Organisation.Kind.choices),
    }


BOOLEAN_FEATURES = {"minimum_income", "priority_area"}


def factor_text(factor: dict) -> str:
    """One stored factor in words: the feature's label and the value's label ("Situation :
    Demandeur·se d'emploi"); numbers keep the text computed at scoring time (above/below average)."""
    feature, value = factor.get("feature", ""), factor.get("value")
    label = LABELS.get(feature, feature)
    coded = value_labels().get(feature)
    if value is not None and feature in BOOLEAN_FEATURES:
        return f"{label} : {_('oui') if value in (True, 1, '1', 'True', 'true') else _('non')}"
    if value is not None and coded is not None:
        return f"{label} : {coded.get(value, value)}"
    if factor.get("text"):
        return factor["text"]
    if value is None:
        return _("%(label)s : non renseigné") % {"label": label}
    return f"{label} : {value}"


DEFAULT_OUTCOME = {
    "positive_end_reasons": [EndReason.EMPLOYED_DURABLE, EndReason.EMPLOYED_SHORT, EndReason.SELF_EMPLOYED],
    "horizon_days": 365,
    "definition": (
        "Pas de retour durable à l'emploi dans les 12 mois suivant l'entrée : l'accompagnement ne s'est "
        "pas terminé par un emploi ou une création d'activité dans les 365 jours suivant son début."
    ),
}


def outcome_settings() -> dict:
    return {**DEFAULT_OUTCOME, **getattr(settings, "PARCOURS_PROFILING_OUTCOME", {})}


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _base_queryset(queryset):
    first_intensity = CaseEvent.objects.filter(
        episode=OuterRef("pk"), kind=CaseEvent.Kind.EPISODE_OPENED
    ).order_by("at", "pk")
    earlier = (
        SupportEpisode.objects.filter(person_id=OuterRef("person_id"), started_on__lt=OuterRef("started_on"))
        .order_by()
        .values("person_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = queryset.order_by("pk").annotate(
        intensity_at_open=Subquery(first_intensity.annotate(v=KT("data__intensity")).values("v")[:1]),
        prior_episodes=Coalesce(Subquery(earlier), 0),
    )
    latest = Diagnosis.objects.filter(episode=OuterRef("pk"), status=Diagnosis.Status.COMPLETED).order_by(
        "-completed_at", "-pk"
    )
    return qs.annotate(
        diagnosis_id=Subquery(latest.values("pk")[:1]),
        diagnosis_digital=Subquery(latest.values("digital_autonomy")[:1]),
    )


def _barrier_counts(diagnosis_ids: list[int]) -> dict[int, dict[str, int]]:
    """{diagnosis_id: {kind: count}} in one aggregated query per chunk."""
    if not diagnosis_ids:
        return {}
    counts: dict[int, dict[str, int]] = {}
    rows = (
        Barrier.objects.filter(diagnosis_id__in=diagnosis_ids)
        .order_by()
        .values("diagnosis_id", "kind")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts.setdefault(row["diagnosis_id"], {})[row["kind"]] = row["n"]
    return counts


def _outcome(row: dict, today: datetime.date, outcome: dict) -> float:
    horizon = datetime.timedelta(days=int(outcome["horizon_days"]))
    ended, started = row["ended_on"], row["started_on"]
    if (
        ended is not None
        and row["end_reason"] in outcome["positive_end_reasons"]
        and ended - started <= horizon
    ):
        return 0.0
    if started + horizon <= today:
        return 1.0
    return np.nan


FIELDS = [
    "pk",
    "public_id",
    "started_on",
    "ended_on",
    "end_reason",
    "intensity",
    "intensity_at_open",
    "prior_episodes",
    "organisation__kind",
    "person__birth_date",
    "person__sex",
    "person__status",
    "person__minimum_income",
    "person__priority_area",
    "person__digital_autonomy",
]


def iter_episode_frames(queryset=None, *, today: datetime.date | None = None, chunk_size: int = CHUNK_SIZE):
    """Yield DataFrames of at most ``chunk_size`` episodes (index: episode pk), streaming the queryset."""
    today = today or timezone.localdate()
    outcome = outcome_settings()
    queryset = SupportEpisode.objects.all() if queryset is None else queryset
    qs = _base_queryset(queryset)
    fields = [*FIELDS, "diagnosis_id", "diagnosis_digital"]
    chunk: list[dict] = []
    for row in qs.values(*fields).iterator(chunk_size=chunk_size):
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield _frame(chunk, today, outcome)
            chunk = []
    if chunk:
        yield _frame(chunk, today, outcome)


def _frame(rows: list[dict], today: datetime.date, outcome: dict) -> pd.DataFrame:
    counts = _barrier_counts([r["diagnosis_id"] for r in rows if r.get("diagnosis_id")])
    records = []
    for r in rows:
        kinds = counts.get(r.get("diagnosis_id"), {})
        record = {
            "episode_id": r["pk"],
            "age": _age(r["person__birth_date"], r["started_on"]),
            "status": r["person__status"],
            "minimum_income": int(r["person__minimum_income"]),
            "priority_area": int(r["person__priority_area"]),
            "digital_autonomy": r.get("diagnosis_digital") or r["person__digital_autonomy"],
            # Sensitive kinds enter nowhere: the score and its explanation are shown to readers
            # who may not see the health and justice sections (a total would reveal them).
            "barriers_total": sum(kinds.get(kind, 0) for kind in VISIBLE_BARRIER_KINDS),
            **{f"barriers_{kind}": kinds.get(kind, 0) for kind in VISIBLE_BARRIER_KINDS},
            "intensity_start": r["intensity_at_open"] or r["intensity"],
            "organisation_kind": r["organisation__kind"],
            "prior_episodes": int(r["prior_episodes"]),
            "sex": r["person__sex"],
            DATE: r["started_on"].isoformat(),
            TARGET: _outcome(r, today, outcome),
        }
        records.append(record)
    return pd.DataFrame.from_records(records, index="episode_id")


def episodes_frame(queryset=None, *, today: datetime.date | None = None) -> pd.DataFrame:
    """All the episodes of ``queryset`` (default: every episode) as one DataFrame, built in chunks."""
    frames = list(iter_episode_frames(queryset, today=today))
    if not frames:
        return pd.DataFrame(columns=["episode_id", *FEATURES, *GROUPS, DATE, TARGET]).set_index("episode_id")
    return pd.concat(frames)


def training_frame(today: datetime.date | None = None) -> pd.DataFrame:
    """Episodes whose outcome is known: started at least ``horizon_days`` ago. Younger episodes are
    excluded even when they already ended with a job, which would over-represent good outcomes."""
    horizon = datetime.timedelta(days=int(outcome_settings()["horizon_days"]))
    today = today or timezone.localdate()
    with analytics():  # the read replica when there is one (parcours.ops.routers)
        frame = episodes_frame(SupportEpisode.objects.filter(started_on__lte=today - horizon), today=today)
    return frame[frame[TARGET].notna()]
