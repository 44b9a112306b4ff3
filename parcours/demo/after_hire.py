"""The demo's life after the hire and its obligations: hires recorded on episodes in job search
(their check-ins scheduled, those that came due answered by the person or the counselor or left
unanswered — then reminded and marked unknown by the periodic job), one answer with a difficulty
(a job-retention action), commitments agreed on open episodes, and two sanction procedures: one
blocked by the support-before-sanction check, one through every step. Every call is the action an
operator would make, at its date (``clock.at``)."""

import datetime
import logging
import random
from decimal import Decimal

from django.utils import timezone

from parcours.cases.models import Stage, SupportEpisode
from parcours.demo.clock import at, during_working_hours
from parcours.obligations import actions as obligations
from parcours.obligations.models import Decision, Obligation
from parcours.outcomes import actions as outcomes
from parcours.outcomes.models import CheckIn

logger = logging.getLogger(__name__)

HIRES = 70
OBLIGATIONS = 40
JOBS = [
    ("cdi", None, "Vendeur en magasin"),
    ("cdd", 6, "Agent de propreté"),
    ("cdd", 3, "Préparateur de commandes"),
    ("interim", 2, "Cariste"),
    ("apprenticeship", 24, "Aide-soignant"),
    ("cdi", None, "Serveur"),
]


def build_demo_after_hire(seed: int) -> dict[str, int]:
    rng = random.Random(seed * 31 + 13)
    today = timezone.localdate()
    counts = {"hires": 0, "answered": 0, "obligations": 0, "procedures": 0}
    searching = list(
        SupportEpisode.objects.open()
        .filter(stage=Stage.JOB_SEARCH, referent__isnull=False)
        .select_related("referent", "person")
        .order_by("pk")[:HIRES]
    )
    difficulty_given = False
    for episode in searching:
        start = today - datetime.timedelta(days=rng.randint(60, 400))
        if start < episode.started_on:
            continue
        contract, months, title = rng.choice(JOBS)
        with at(during_working_hours(start + datetime.timedelta(days=rng.randint(0, 10)), rng)):
            if start + datetime.timedelta(days=10) > today:
                continue
            try:
                outcome = outcomes.record_outcome(
                    episode,
                    by=episode.referent,
                    contract_type=contract,
                    contract_months=months,
                    weekly_hours=Decimal(rng.choice(["35", "35", "24", "30"])),
                    start_on=start,
                    job_title=title,
                )
            except Exception as exc:  # a stage the referential refuses: this episode keeps searching
                logger.info("demo hire skipped episode=%s reason=%s", episode.pk, exc)
                continue
        counts["hires"] += 1
        for checkin in outcome.checkins.order_by("due_on"):
            answered_on = checkin.due_on + datetime.timedelta(days=rng.randint(0, 10))
            if answered_on >= today or rng.random() > 0.75:
                continue
            respondent = CheckIn.Respondent.PERSON if rng.random() < 0.8 else CheckIn.Respondent.COUNSELOR
            still = rng.random() < 0.82
            difficulties = []
            if still and respondent == CheckIn.Respondent.PERSON and not difficulty_given:
                difficulties, difficulty_given = ["mobility"], True
            with at(during_working_hours(answered_on, rng)):
                outcomes.answer_checkin(
                    checkin,
                    by=None if respondent == CheckIn.Respondent.PERSON else episode.referent,
                    respondent=respondent,
                    still_employed=still,
                    same_employer=(rng.random() < 0.85) if still else None,
                    weekly_hours=Decimal("35") if still else None,
                    difficulties=difficulties,
                )
            counts["answered"] += 1
    # the periodic job: sends the links due, reminds, then marks unknown (two days in a row)
    outcomes.run_due_checkins(today=today - datetime.timedelta(days=1))
    outcomes.run_due_checkins(today=today)

    open_episodes = list(
        SupportEpisode.objects.open()
        .filter(referent__isnull=False)
        .exclude(stage=Stage.EMPLOYED)
        .select_related("referent", "person")
        .order_by("pk")[:OBLIGATIONS]
    )
    for episode in open_episodes:
        agreed = min(episode.started_on + datetime.timedelta(days=rng.randint(7, 30)), today)
        with at(during_working_hours(agreed, rng)):
            obligations.agree_obligations(
                episode,
                by=episode.referent,
                agreed_on=agreed,
                activity_hours_per_week=rng.choice([10, 15, 15, 20]),
                job_search_actions_per_month=rng.choice([2, 4, 4, 6]),
            )
        counts["obligations"] += 1
    counts["procedures"] = _procedures(open_episodes, today, rng)
    obligations.run_deadlines(today=today)
    logger.info("demo after hire %s", counts)
    return counts


def _procedures(episodes: list[SupportEpisode], today: datetime.date, rng: random.Random) -> int:
    """One procedure blocked by the support check; one through every step (breach, notice,
    observations sent by the person, decision, appeal, new decision, lifting), 100 days ago on."""
    base = today - datetime.timedelta(days=100)
    since = base - datetime.timedelta(days=30)
    made = 0
    with_commitments = [
        e for e in episodes if Obligation.objects.filter(episode=e, agreed_on__lte=since).exists()
    ]
    blocked = next(
        (e for e in with_commitments if obligations.support_shortfalls(e, since=since, today=base)), None
    )
    supported = next(
        (e for e in with_commitments if not obligations.support_shortfalls(e, since=since, today=base)), None
    )
    if blocked is not None:
        with at(during_working_hours(base, rng)):
            obligations.record_breach(
                blocked,
                by=blocked.referent,
                breach="Deux convocations sans réponse",
                evidence="Convocations des deux dernières semaines restées sans réponse",
                period_start=since,
            )
        made += 1
    if supported is None:
        logger.info("demo: no episode whose support was delivered; the full procedure is skipped")
        return made
    person, referent = supported.person, supported.referent

    def on(days: int):
        return at(during_working_hours(base + datetime.timedelta(days=days), rng))

    with on(0):
        procedure = obligations.record_breach(
            supported,
            by=referent,
            breach="Démarches de recherche d'emploi non réalisées sur deux mois",
            evidence="Aucune démarche déclarée ni constatée en entretien depuis deux mois",
            period_start=since,
        )
    with on(1):
        obligations.send_notice(procedure, by=referent)
    with on(6):
        obligations.send_observations_as_person(
            procedure, person=person, observations="J'ai gardé mon neveu pendant deux mois, je reprends."
        )
    procedure.refresh_from_db()
    with on(20):
        obligations.decide(procedure, by=referent, decision=Decision.WARNING, reasons="Manquement établi")
    with on(25):
        obligations.appeal_as_person(
            procedure, person=person, reasons="La garde de mon neveu était imprévue."
        )
    procedure.refresh_from_db()
    with on(40):
        obligations.decide(
            procedure, by=referent, decision=Decision.WARNING, reasons="Avertissement maintenu après recours"
        )
    with on(70):
        obligations.lift(procedure, by=referent)
    return made + 1
