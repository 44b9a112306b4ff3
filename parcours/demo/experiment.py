"""A demo experiment with a KNOWN true effect, so that anyone can check the analysis finds it.

``build_demo_experiment`` creates and registers an experiment ("reinforced support for job
seekers"), runs it, assigns the given open episodes through the same intake function as real
episodes (``assign_if_eligible``), then simulates outcomes: each person finds a job within six
months with probability ``baseline`` in the control group and ``baseline + true_effect`` in the
treatment group (episodes closed as ``employed_durable``/``employed_short`` through
``cases.actions.close_episode``). Take-up is recorded for treated people (80 %), then the
experiment is closed and analysed.
"""

from __future__ import annotations

import datetime
import random

import numpy as np
from django.db import transaction
from django.utils import timezone

from parcours.cases.actions import close_episode
from parcours.cases.models import EndReason, SupportEpisode
from parcours.demo.clock import at, during_working_hours
from parcours.evaluation import actions
from parcours.evaluation.analysis import run_analysis
from parcours.evaluation.assignment import assign_if_eligible
from parcours.evaluation.models import Assignment, Experiment

TRUE_EFFECT = 0.06
BASELINE = 0.30


@transaction.atomic
def build_demo_experiment(
    seed: int,
    episodes,
    *,
    by,
    true_effect: float = TRUE_EFFECT,
    baseline: float = BASELINE,
    as_of: datetime.date | None = None,
):
    """Build, run and analyse the demo experiment. ``episodes``: open episodes of one
    organisation started at least six months before ``as_of``; ``by``: an analyst of it.
    Returns (experiment, report)."""
    as_of = as_of or timezone.localdate()
    horizon = as_of - datetime.timedelta(days=182)
    episodes = [
        e
        for e in SupportEpisode.objects.filter(pk__in=[e.pk for e in episodes], ended_on__isnull=True)
        .select_related("person", "referent")
        .order_by("started_on", "pk")
        if e.started_on <= horizon
    ]
    if not episodes:
        raise ValueError("no open episode started at least six months ago")
    organisation = episodes[0].organisation
    experiment = actions.create_experiment(
        by=by,
        organisation=organisation,
        arms=[
            {"name": "Accompagnement habituel", "weight": 1, "cost_per_participant": 400.0},
            {"name": "Accompagnement renforcé", "weight": 1, "cost_per_participant": 1400.0},
        ],
        title="Accompagnement renforcé des demandeurs d'emploi (démonstration)",
        question=(
            "Un accompagnement renforcé (un contact par semaine) augmente-t-il le retour à l'emploi "
            f"à six mois ? Données simulées : l'effet vrai est de {100 * true_effect:+.0f} points."
        ),
        eligibility={"organisations": [organisation.pk]},
        unit=Experiment.Unit.INDIVIDUAL,
        design=Experiment.Design.SIMPLE,
        outcomes=["employment_6m"],
        subgroups=["sex"],
        starts_on=min(e.started_on for e in episodes),
        ends_on=horizon,
        seed=seed,
    )
    actions.register_experiment(experiment, by=by)
    actions.start_experiment(experiment, by=by)
    experiment.refresh_from_db()
    for episode in episodes:
        assign_if_eligible(episode, by=by, on=episode.started_on)
    rng = np.random.default_rng(seed)
    rng_hours = random.Random(seed)
    assignments = (
        Assignment.objects.filter(experiment=experiment)
        .select_related("arm", "episode__person", "episode__referent")
        .order_by("pk")
    )
    for assignment in assignments:
        treated = assignment.arm.position > 0
        episode = assignment.episode
        if rng.random() < baseline + (true_effect if treated else 0.0):
            reason = EndReason.EMPLOYED_DURABLE if rng.random() < 0.6 else EndReason.EMPLOYED_SHORT
            ended_on = min(episode.started_on + datetime.timedelta(days=int(rng.integers(20, 180))), as_of)
            with at(during_working_hours(ended_on, rng_hours)):
                close_episode(episode, by=episode.referent, reason=reason, ended_on=ended_on)
        if treated:
            actions.record_take_up(assignment, by=by, took_up=bool(rng.random() < 0.8))
    actions.close_experiment(experiment, by=by)
    report = run_analysis(experiment, by=by, as_of=as_of)
    experiment.refresh_from_db()
    return experiment, report
