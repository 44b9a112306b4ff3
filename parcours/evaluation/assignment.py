"""Randomised assignment inside the intake flow.

``assign_if_eligible(episode)`` is called right after an episode is opened. For each running
experiment the episode is eligible for, the person gets an arm from the science core's
deterministic assigners, so every arm can be recomputed from the experiment's seed:

* simple designs: ``hashed_assign(unit)`` — depends only on (seed, experiment id, unit id);
* stratified designs: ``sequential_assign(position)`` — permuted blocks per stratum, the
  position being the stratum's counter (a row locked while it is incremented);
* cluster designs: the cluster's arm is drawn once, by ``sequential_assign`` over the clusters
  in order of first appearance; everyone in the cluster gets it;
* two-level designs: the cluster's treated share is drawn once (same way, over the shares);
  people are then assigned by permuted blocks within the cluster with that share.

Assignments and cluster draws are immutable rows (see models.ImmutableModel), each one logged
as a CaseEvent of the person.
"""

from __future__ import annotations

import logging
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.utils import timezone

from parcours.cases.models import CaseEvent, SupportEpisode
from parcours.evaluation.models import Arm, Assignment, AssignmentCounter, ClusterDraw, Experiment
from parcours.stats.evaluation import hashed_assign, sequential_assign

logger = logging.getLogger(__name__)

CLUSTER_STRATUM = "__clusters__"
# Attributes an eligibility rule or a stratum may use (one episode at a time, at intake).
STRATA_FIELDS = {
    "status",
    "sex",
    "age_band",
    "intensity",
    "organisation",
    "site",
    "territory",
    "minimum_income",
}


def age_band(age: int) -> str:
    return "<26" if age < 26 else ("26-49" if age < 50 else "50+")


def episode_attributes(episode: SupportEpisode, today=None) -> dict:
    person = episode.person
    age = person.age(today)
    return {
        "status": person.status,
        "sex": person.sex,
        "age": age,
        "age_band": age_band(age),
        "intensity": episode.intensity,
        "organisation": episode.organisation_id,
        "site": episode.site_id,
        "territory": person.commune.insee_code if person.commune_id else "",
        "minimum_income": person.minimum_income,
    }


def is_eligible(experiment: Experiment, attributes: dict) -> bool:
    """Eligibility rules (all must hold): ``statuses``, ``age_min``, ``age_max``, ``intensities``,
    ``organisations`` (ids), ``territories`` (INSEE codes), ``minimum_income`` (bool)."""
    rules = experiment.eligibility or {}
    checks = [
        ("statuses", lambda v: attributes["status"] in v),
        ("intensities", lambda v: attributes["intensity"] in v),
        ("organisations", lambda v: attributes["organisation"] in v),
        ("territories", lambda v: attributes["territory"] in v),
        ("age_min", lambda v: attributes["age"] >= int(v)),
        ("age_max", lambda v: attributes["age"] <= int(v)),
        ("minimum_income", lambda v: attributes["minimum_income"] == bool(v)),
    ]
    return all(check(rules[key]) for key, check in checks if rules.get(key) not in (None, "", []))


def stratum_key(experiment: Experiment, attributes: dict) -> str:
    return "|".join(f"{name}={attributes.get(name, '')}" for name in experiment.strata_fields)


def cluster_key(experiment: Experiment, episode: SupportEpisode, attributes: dict) -> str:
    if experiment.unit == Experiment.Unit.SITE:
        return f"site:{episode.site_id or 0}"
    return f"territory:{attributes['territory'] or 'none'}"


def share_allocation(share: float) -> tuple[int, int]:
    """Block composition (control, treated) for a treated share: 25 % -> (3, 1), 0 % -> (1, 0)."""
    fraction = Fraction(share).limit_denominator(20)
    return (fraction.denominator - fraction.numerator, fraction.numerator)


def _next_position(experiment: Experiment, stratum: str) -> int:
    counter, _ = AssignmentCounter.objects.get_or_create(experiment=experiment, stratum=stratum)
    counter = AssignmentCounter.objects.select_for_update().get(pk=counter.pk)
    position = counter.next_position
    counter.next_position = position + 1
    counter.save(update_fields=["next_position"])
    return position


def _cluster_draw(experiment: Experiment, key: str, arms: list[Arm]) -> ClusterDraw:
    draw = ClusterDraw.objects.filter(experiment=experiment, cluster_key=key).first()
    if draw:
        return draw
    position = _next_position(experiment, CLUSTER_STRATUM)
    if experiment.design == Experiment.Design.TWO_LEVEL:
        index = sequential_assign(
            position,
            seed=experiment.seed,
            experiment_id=experiment.pk,
            stratum=CLUSTER_STRATUM,
            allocation=[1] * len(experiment.shares),
        )
        return ClusterDraw.objects.create(
            experiment=experiment, cluster_key=key, position=position, share=float(experiment.shares[index])
        )
    index = sequential_assign(
        position,
        seed=experiment.seed,
        experiment_id=experiment.pk,
        stratum=CLUSTER_STRATUM,
        allocation=[arm.weight for arm in arms],
    )
    return ClusterDraw.objects.create(
        experiment=experiment, cluster_key=key, position=position, arm=arms[index]
    )


def draw_arm(experiment: Experiment, episode: SupportEpisode, attributes: dict, arms: list[Arm]) -> dict:
    """The arm (and the data to recompute it) for one unit."""
    unit = f"person:{episode.person.public_id}"
    design = experiment.design
    if design == Experiment.Design.SIMPLE:
        total = sum(arm.weight for arm in arms)
        index = hashed_assign(
            unit,
            seed=experiment.seed,
            experiment_id=experiment.pk,
            probabilities=[a.weight / total for a in arms],
        )
        return {"unit_key": unit, "arm": arms[index]}
    if design == Experiment.Design.STRATIFIED:
        stratum = stratum_key(experiment, attributes)
        position = _next_position(experiment, stratum)
        index = sequential_assign(
            position,
            seed=experiment.seed,
            experiment_id=experiment.pk,
            stratum=stratum,
            allocation=[arm.weight for arm in arms],
        )
        return {"unit_key": unit, "arm": arms[index], "stratum": stratum, "position": position}
    key = cluster_key(experiment, episode, attributes)
    draw = _cluster_draw(experiment, key, arms)
    if design == Experiment.Design.CLUSTER:
        return {"unit_key": unit, "arm": draw.arm, "cluster_key": key}
    stratum = f"cluster={key}"
    position = _next_position(experiment, stratum)
    index = sequential_assign(
        position,
        seed=experiment.seed,
        experiment_id=experiment.pk,
        stratum=stratum,
        allocation=share_allocation(draw.share),
    )
    return {
        "unit_key": unit,
        "arm": arms[index],
        "cluster_key": key,
        "stratum": stratum,
        "position": position,
        "share": draw.share,
    }


def running_experiments(on=None):
    on = on or timezone.localdate()
    return Experiment.objects.filter(status=Experiment.Status.RUNNING, starts_on__lte=on, ends_on__gte=on)


def assign_if_eligible(episode: SupportEpisode, *, by=None, on=None) -> list[Assignment]:
    """Assign the episode's person in every running experiment they are eligible for.

    Idempotent: a person already in an experiment keeps their arm. Call it after
    ``cases.actions.open_episode`` (in the same transaction or just after)."""
    on = on or timezone.localdate()
    episode = SupportEpisode.objects.select_related("person__commune").get(pk=episode.pk)
    attributes = episode_attributes(episode, today=on)
    unit = f"person:{episode.person.public_id}"
    created = []
    for experiment in running_experiments(on).prefetch_related("arms"):
        if not is_eligible(experiment, attributes):
            continue
        if Assignment.objects.filter(experiment=experiment, unit_key=unit).exists():
            continue
        arms = sorted(experiment.arms.all(), key=lambda a: a.position)
        try:
            with transaction.atomic():
                drawn = draw_arm(experiment, episode, attributes, arms)
                assignment = Assignment.objects.create(
                    experiment=experiment, person=episode.person, episode=episode, assigned_on=on, **drawn
                )
                CaseEvent.objects.create(
                    person=episode.person,
                    episode=episode,
                    actor=by,
                    kind=CaseEvent.Kind.OTHER,
                    data={
                        "what": "experiment_assigned",
                        "experiment": experiment.pk,
                        "arm": assignment.arm_id,
                        "assignment": assignment.pk,
                    },
                )
        except IntegrityError:
            # Another request assigned the same person at the same moment: theirs stands.
            continue
        logger.info("experiment=%s assignment=%s arm=%s", experiment.pk, assignment.pk, assignment.arm_id)
        created.append(assignment)
    return created


def recompute_arm_position(experiment: Experiment, assignment: Assignment) -> int:
    """The arm position the seed gives for a stored assignment (audit: must equal the stored arm)."""
    arms = sorted(experiment.arms.all(), key=lambda a: a.position)
    if experiment.design == Experiment.Design.SIMPLE:
        total = sum(arm.weight for arm in arms)
        return hashed_assign(
            assignment.unit_key,
            seed=experiment.seed,
            experiment_id=experiment.pk,
            probabilities=[a.weight / total for a in arms],
        )
    if experiment.design == Experiment.Design.CLUSTER:
        draw = ClusterDraw.objects.get(experiment=experiment, cluster_key=assignment.cluster_key)
        return sequential_assign(
            draw.position,
            seed=experiment.seed,
            experiment_id=experiment.pk,
            stratum=CLUSTER_STRATUM,
            allocation=[arm.weight for arm in arms],
        )
    allocation = (
        share_allocation(assignment.share)
        if experiment.design == Experiment.Design.TWO_LEVEL
        else [arm.weight for arm in arms]
    )
    return sequential_assign(
        assignment.position,
        seed=experiment.seed,
        experiment_id=experiment.pk,
        stratum=assignment.stratum,
        allocation=allocation,
    )
