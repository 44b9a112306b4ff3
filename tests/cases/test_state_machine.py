import pytest

from parcours.cases import actions
from parcours.cases.models import TRANSITIONS, CaseEvent, InvalidTransition, Stage, StageTransition


def test_every_stage_has_a_transition_rule():
    assert set(TRANSITIONS) == set(Stage.values)
    for targets in TRANSITIONS.values():
        assert targets <= set(Stage.values)


def test_closed_is_terminal_and_reachable_from_every_open_stage():
    assert TRANSITIONS[Stage.CLOSED] == set()
    for stage in Stage.values:
        if stage != Stage.CLOSED:
            assert Stage.CLOSED in TRANSITIONS[stage]


def test_full_path_welcome_to_retention_is_allowed(episode, counselor):
    for stage in [Stage.ASSESSMENT, Stage.CAREER_PROJECT, Stage.JOB_SEARCH, Stage.EMPLOYED, Stage.RETENTION]:
        episode = actions.change_stage(episode, by=counselor, stage=stage)
    assert episode.stage == Stage.RETENTION
    logged = list(StageTransition.objects.filter(episode=episode).values_list("from_stage", "to_stage"))
    assert logged == [
        ("welcome", "assessment"),
        ("assessment", "career_project"),
        ("career_project", "job_search"),
        ("job_search", "employed"),
        ("employed", "retention"),
    ]
    assert CaseEvent.objects.filter(episode=episode, kind=CaseEvent.Kind.STAGE_CHANGED).count() == 5


@pytest.mark.parametrize(
    "start,target",
    [
        (Stage.WELCOME, Stage.EMPLOYED),
        (Stage.WELCOME, Stage.RETENTION),
        (Stage.ASSESSMENT, Stage.RETENTION),
        (Stage.JOB_SEARCH, Stage.RETENTION),
        (Stage.RETENTION, Stage.WELCOME),
    ],
)
def test_disallowed_transition_raises_and_changes_nothing(episode, counselor, start, target):
    episode.stage = start
    episode.save()
    with pytest.raises(InvalidTransition):
        actions.change_stage(episode, by=counselor, stage=target)
    episode.refresh_from_db()
    assert episode.stage == start
    assert not StageTransition.objects.filter(episode=episode).exists()


def test_closing_requires_the_close_action_and_records_reason(episode, counselor):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.change_stage(episode, by=counselor, stage=Stage.CLOSED)
    actions.close_episode(episode, by=counselor, reason="employed_durable")
    episode.refresh_from_db()
    assert episode.stage == Stage.CLOSED and episode.ended_on is not None
    assert episode.end_reason == "employed_durable"
    with pytest.raises(InvalidTransition):
        actions.change_stage(episode, by=counselor, stage=Stage.ASSESSMENT)


def test_stale_version_is_refused(episode, counselor):
    from parcours.cases.locking import ConcurrentEditError

    stale = episode.version
    actions.change_stage(episode, by=counselor, stage=Stage.ASSESSMENT, expected_version=stale)
    with pytest.raises(ConcurrentEditError):
        actions.change_intensity(
            episode, by=counselor, intensity="intensive", reason="x", expected_version=stale
        )
