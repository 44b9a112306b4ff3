import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from parcours.cases.models import CaseEvent
from parcours.evaluation import actions
from parcours.evaluation.assignment import assign_if_eligible, recompute_arm_position
from parcours.evaluation.models import Arm, Assignment, ClusterDraw, Experiment, FrozenError
from parcours.stats.evaluation import hashed_assign, sequential_assign
from tests.cases.factories import EpisodeFactory
from tests.organisations.factories import TerritoryFactory
from tests.people.factories import PersonFactory

TWO_ARMS = [
    {"name": "Témoin", "weight": 1, "cost_per_participant": 300},
    {"name": "Renforcé", "weight": 1, "cost_per_participant": 1300},
]


def running(analyst, organisation, **fields):
    defaults = {
        "title": "Test",
        "question": "Effet ?",
        "outcomes": ["employment_6m"],
        "starts_on": datetime.date(2020, 1, 1),
        "ends_on": datetime.date(2035, 1, 1),
        "seed": 42,
    }
    arms = fields.pop("arms", TWO_ARMS)
    experiment = actions.create_experiment(
        by=analyst, organisation=organisation, arms=arms, **{**defaults, **fields}
    )
    actions.register_experiment(experiment, by=analyst)
    return actions.start_experiment(experiment, by=analyst)


def episodes_for(organisation, counselor, n, communes=None):
    out = []
    for i in range(n):
        person = PersonFactory(commune=communes[i % len(communes)] if communes else None)
        out.append(EpisodeFactory(organisation=organisation, referent=counselor, person=person))
    return out


def test_registered_experiment_is_frozen(analyst, organisation):
    experiment = running(analyst, organisation)
    experiment.refresh_from_db()
    assert len(experiment.preregistration_hash) == 64
    assert experiment.preregistration["outcomes"] == ["employment_6m"]
    experiment.outcomes = ["employment_12m"]
    with pytest.raises(FrozenError):
        experiment.save()
    with pytest.raises(FrozenError):
        experiment.save(update_fields=["outcomes"])
    arm = experiment.arms.first()
    arm.weight = 3
    with pytest.raises(FrozenError):
        arm.save()
    with pytest.raises(FrozenError):
        Arm.objects.create(experiment=experiment, position=5, name="Nouveau")
    experiment.refresh_from_db()
    assert experiment.outcomes == ["employment_6m"]


def test_only_an_analyst_creates_experiments(counselor, organisation):
    with pytest.raises(Exception, match="analyst"):
        actions.create_experiment(
            by=counselor,
            organisation=organisation,
            arms=TWO_ARMS,
            title="x",
            question="x",
            outcomes=["employment_6m"],
            starts_on=datetime.date(2024, 1, 1),
            ends_on=datetime.date(2025, 1, 1),
            seed=1,
        )


def test_design_errors_are_refused(analyst, organisation):
    with pytest.raises(ValidationError) as exc:
        actions.create_experiment(
            by=analyst,
            organisation=organisation,
            arms=TWO_ARMS,
            title="x",
            question="x",
            outcomes=["nope"],
            design=Experiment.Design.TWO_LEVEL,
            shares=[0.25, 0.5],
            starts_on=datetime.date(2024, 1, 1),
            ends_on=datetime.date(2025, 1, 1),
            seed=1,
        )
    text = " ".join(exc.value.messages)
    assert "unknown outcomes" in text and "including 0" in text and "territory or site" in text


def test_assignment_is_immutable_logged_and_unique(analyst, organisation, counselor):
    experiment = running(analyst, organisation)
    episode = EpisodeFactory(organisation=organisation, referent=counselor)
    [assignment] = assign_if_eligible(episode, by=counselor)
    assert assign_if_eligible(episode, by=counselor) == []  # idempotent
    event = CaseEvent.objects.get(person=episode.person, kind=CaseEvent.Kind.OTHER)
    assert event.data["what"] == "experiment_assigned" and event.data["experiment"] == experiment.pk
    assignment.arm = experiment.arms.exclude(pk=assignment.arm_id).first()
    with pytest.raises(FrozenError):
        assignment.save()
    with pytest.raises(FrozenError):
        assignment.delete()
    with pytest.raises(FrozenError):
        Assignment.objects.filter(pk=assignment.pk).update(arm=assignment.arm)
    with pytest.raises(FrozenError):
        Assignment.objects.filter(pk=assignment.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            experiment=experiment,
            person=episode.person,
            episode=episode,
            unit_key=assignment.unit_key,
            arm=assignment.arm,
        )


def test_ineligible_episodes_are_not_assigned(analyst, organisation, counselor):
    running(analyst, organisation, eligibility={"age_max": 25, "statuses": ["job_seeker"]})
    old = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        person=PersonFactory(birth_date=datetime.date(1960, 1, 1)),
    )
    young = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        person=PersonFactory(birth_date=datetime.date(2005, 1, 1)),
    )
    assert assign_if_eligible(old) == []
    assert len(assign_if_eligible(young)) == 1


def test_draft_and_closed_experiments_do_not_assign(analyst, organisation, counselor):
    experiment = actions.create_experiment(
        by=analyst,
        organisation=organisation,
        arms=TWO_ARMS,
        title="x",
        question="x",
        outcomes=["employment_6m"],
        starts_on=datetime.date(2020, 1, 1),
        ends_on=datetime.date(2035, 1, 1),
        seed=3,
    )
    episode = EpisodeFactory(organisation=organisation, referent=counselor)
    assert assign_if_eligible(episode) == []
    actions.register_experiment(experiment, by=analyst)
    assert assign_if_eligible(episode) == []


def test_stratified_assignments_are_balanced_and_rederived_from_the_seed(analyst, organisation, counselor):
    experiment = running(
        analyst, organisation, design=Experiment.Design.STRATIFIED, strata_fields=["sex"], seed=777
    )
    episodes = episodes_for(organisation, counselor, 24)
    for episode in episodes:
        assign_if_eligible(episode)
    assignments = list(Assignment.objects.filter(experiment=experiment).select_related("arm").order_by("pk"))
    assert len(assignments) == 24
    # Re-derive every arm from the seed with the science core, position by position in each stratum.
    seen = Counter()
    for a in assignments:
        assert a.position == seen[a.stratum]
        seen[a.stratum] += 1
        expected = sequential_assign(
            a.position, seed=777, experiment_id=experiment.pk, stratum=a.stratum, allocation=[1, 1]
        )
        assert a.arm.position == expected == recompute_arm_position(experiment, a)
    per_stratum = Counter((a.stratum, a.arm.position) for a in assignments)
    for stratum, size in seen.items():
        if size % 2 == 0:
            assert per_stratum[(stratum, 0)] == per_stratum[(stratum, 1)]


def test_simple_assignment_depends_only_on_seed_experiment_and_unit(analyst, organisation, counselor):
    experiment = running(analyst, organisation, seed=99)
    episodes = episodes_for(organisation, counselor, 10)
    for episode in reversed(episodes):
        assign_if_eligible(episode)
    for a in Assignment.objects.filter(experiment=experiment).select_related("arm", "person"):
        assert a.unit_key == f"person:{a.person.public_id}"
        assert a.arm.position == hashed_assign(
            a.unit_key, seed=99, experiment_id=experiment.pk, probabilities=[0.5, 0.5]
        )


def test_two_level_draws_one_share_per_cluster(analyst, organisation, counselor):
    experiment = running(
        analyst,
        organisation,
        design=Experiment.Design.TWO_LEVEL,
        unit=Experiment.Unit.TERRITORY,
        shares=[0, 0.25, 0.5, 0.75, 1],
        seed=5,
    )
    communes = [TerritoryFactory(insee_code=f"5935{i}") for i in range(5)]
    episodes = episodes_for(organisation, counselor, 40, communes)
    for episode in episodes:
        assign_if_eligible(episode)
    draws = {d.cluster_key: d.share for d in ClusterDraw.objects.filter(experiment=experiment)}
    assert len(draws) == 5
    # Five clusters in order of first appearance fill one permuted block of the five shares.
    assert sorted(draws.values()) == [0, 0.25, 0.5, 0.75, 1]
    assignments = list(Assignment.objects.filter(experiment=experiment).select_related("arm"))
    for cluster, share in draws.items():
        members = [a for a in assignments if a.cluster_key == cluster]
        assert len(members) == 8 and all(a.share == share for a in members)
        treated = sum(a.arm.position for a in members)
        assert treated == round(8 * share)  # 8 people fill whole blocks for every share
    for a in assignments:
        assert a.arm.position == recompute_arm_position(experiment, a)
    draw = ClusterDraw.objects.filter(experiment=experiment).first()
    with pytest.raises(FrozenError):
        draw.delete()
