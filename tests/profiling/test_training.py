import pytest
from django.db import IntegrityError
from django.test import override_settings

from parcours.profiling.actions import activate_model, train_platform_model
from parcours.profiling.dataset import FEATURES
from parcours.profiling.models import ModelActivation, ProfilingModel
from tests.profiling.factories import closed_history


def test_training_on_closed_episodes_stores_an_active_model_with_metrics(trained_model):
    stored = ProfilingModel.objects.get(pk=trained_model.pk)
    assert stored.is_active
    assert stored.n_rows == 300
    assert stored.features == FEATURES
    assert "sex" not in stored.features
    # The simulated signal (minimum income, age) is real: the held-out AUC is well above chance.
    assert 0.6 < stored.metrics["auc"] <= 1.0
    assert stored.algorithm in {"logistic", "lightgbm"}
    assert stored.card["version"] == stored.version
    assert "sex" in stored.fairness["groups"]
    assert "<html" in stored.card_html.lower()
    assert ModelActivation.objects.filter(model=stored, previous=None).exists()


def test_training_with_too_few_episodes_returns_none_and_stores_nothing(organisation, counselor, caplog):
    closed_history(30, organisation=organisation, referent=counselor)
    caplog.set_level("INFO")
    assert train_platform_model(by=counselor) is None
    assert not ProfilingModel.objects.exists()
    assert "reason=too_few_episodes n=30 minimum=200" in caplog.text


def test_episodes_younger_than_the_horizon_are_not_used_for_training(organisation, counselor):
    closed_history(40, organisation=organisation, referent=counselor)
    # 40 episodes that all started 400+ days ago; with a 2-year horizon none is old enough.
    with override_settings(
        PARCOURS_PROFILING_MIN_EPISODES=10, PARCOURS_PROFILING_OUTCOME={"horizon_days": 1000}
    ):
        assert train_platform_model(by=counselor) is None


def test_activating_a_model_deactivates_the_previous_one(trained_model, counselor):
    second = ProfilingModel.objects.create(
        version="second", outcome_definition="x", algorithm="logistic", artefact=bytes(trained_model.artefact)
    )
    activate_model(second, by=counselor)
    assert list(ProfilingModel.objects.active()) == [second]
    activation = ModelActivation.objects.get(model=second)
    assert activation.previous == trained_model
    assert activation.by == counselor


def test_database_refuses_two_active_models(db):
    ProfilingModel.objects.create(
        version="a", outcome_definition="x", algorithm="logistic", artefact=b"", is_active=True
    )
    with pytest.raises(IntegrityError):
        ProfilingModel.objects.create(
            version="b", outcome_definition="x", algorithm="logistic", artefact=b"", is_active=True
        )
