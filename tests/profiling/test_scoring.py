import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from parcours.cases.models import CaseEvent
from parcours.diagnosis.orientation import score_band_for
from parcours.profiling import dataset
from parcours.profiling.actions import override_score, score_episodes
from parcours.profiling.models import ProfilingScore, band_of
from parcours.profiling.scores import score_band_for_episode, score_record
from parcours.profiling.tasks import request_score
from tests.cases.factories import EpisodeFactory
from tests.diagnosis.factories import BarrierFactory, DiagnosisFactory
from tests.profiling.factories import ScoreFactory


def test_requesting_a_score_runs_the_task_and_stores_band_probability_and_factors(
    trained_model, episode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_score(episode)
    score = ProfilingScore.objects.get(episode=episode)
    assert score.model == trained_model
    assert 0.0 < score.score < 1.0
    assert score.band == band_of(score.score)
    assert len(score.top_factors) == 3
    assert all(
        f["text"] and f["effect"] in {"augmente le risque", "diminue le risque"} for f in score.top_factors
    )
    assert score_band_for_episode(episode) == score.band


def test_scoring_twice_without_new_information_keeps_one_score(trained_model, episode):
    first = score_episodes([episode.pk], model=trained_model)
    again = score_episodes([episode.pk], model=trained_model)
    assert [s.pk for s in again] == [s.pk for s in first]
    assert ProfilingScore.objects.filter(episode=episode).count() == 1


def test_new_information_gives_a_new_score(trained_model, episode):
    score_episodes([episode.pk], model=trained_model)
    diagnosis = DiagnosisFactory(episode=episode, completed=True)
    BarrierFactory(diagnosis=diagnosis, kind="housing")
    score_episodes([episode.pk], model=trained_model)
    assert ProfilingScore.objects.filter(episode=episode).count() == 2


def test_fast_single_row_scorer_matches_the_stored_score(trained_model, episode):
    stored = score_episodes([episode.pk], model=trained_model)[0]
    row = dataset.episodes_frame(type(episode).objects.filter(pk=episode.pk)).iloc[0]
    record = {f: row[f] for f in dataset.FEATURES}
    assert score_record(trained_model, record) == pytest.approx(stored.score, abs=1e-9)


def test_closed_episodes_and_missing_models_are_not_scored(trained_model, organisation, counselor, db):
    closed = EpisodeFactory(organisation=organisation, referent=counselor, closed=True)
    assert score_episodes([closed.pk], model=trained_model) == []


def test_health_and_justice_barriers_count_nowhere_not_even_in_the_total(episode):
    # The score and its explanation are shown to colleagues who may not see the sensitive
    # sections: a total of 3 next to one visible barrier would reveal two hidden ones (issue 14).
    diagnosis = DiagnosisFactory(episode=episode, completed=True)
    BarrierFactory(diagnosis=diagnosis, kind="health")
    BarrierFactory(diagnosis=diagnosis, kind="justice")
    BarrierFactory(diagnosis=diagnosis, kind="mobility")
    row = dataset.episodes_frame(type(episode).objects.filter(pk=episode.pk)).iloc[0]
    assert row["barriers_total"] == 1
    assert row["barriers_mobility"] == 1
    assert not any("health" in c or "justice" in c for c in row.index)


def test_override_requires_a_reason(episode, counselor):
    score = ScoreFactory(episode=episode, band="high")
    with pytest.raises(ValidationError):
        override_score(score, by=counselor, band="low", reason="   ")
    score.refresh_from_db()
    assert not score.is_overridden


def test_override_is_logged_and_its_band_is_what_orientation_reads(episode, counselor):
    score = ScoreFactory(episode=episode, band="high")
    override_score(score, by=counselor, band="low", reason="Promesse d'embauche signée")
    event = CaseEvent.objects.get(episode=episode, kind=CaseEvent.Kind.OTHER)
    assert event.data["what"] == "profiling_override"
    assert event.data["band"] == "low" and event.data["computed_band"] == "high"
    assert "Promesse" not in str(event.data)
    assert event.actor == counselor
    assert score_band_for_episode(episode) == "low"
    assert score_band_for(episode) == "low"


def test_band_is_none_without_a_score(episode):
    assert score_band_for_episode(episode) is None


def test_band_follows_the_latest_score(episode):
    ScoreFactory(episode=episode, band="high")
    ScoreFactory(episode=episode, band="medium")
    assert score_band_for_episode(episode) == "medium"


def test_score_all_command_scores_open_episodes_in_chunks(trained_model, organisation, counselor, capsys):
    episodes = [EpisodeFactory(organisation=organisation, referent=counselor) for _ in range(3)]
    call_command("profiling", "score-all", "--chunk-size", "2", "--json")
    out = capsys.readouterr().out
    assert '"episodes": 3' in out and '"scores": 3' in out
    assert ProfilingScore.objects.filter(episode__in=episodes).count() == 3


def test_train_platform_command_says_when_there_are_too_few_episodes(db, capsys):
    call_command("profiling", "train-platform", "--json")
    assert '"trained": false' in capsys.readouterr().out
