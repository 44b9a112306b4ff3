from parcours.profiling.actions import train_platform_model
from parcours.profiling.dataset import FEATURES, training_frame
from parcours.profiling.models import ProfilingModel
from tests.profiling.factories import closed_history


def test_training_on_closed_episodes_stores_an_active_model_with_metrics(trained_model):
    stored = ProfilingModel.objects.get(pk=trained_model.pk)
    assert stored.is_active
    assert stored.n_rows == 300
    assert stored.features == FEATURES
    assert 0.6 < stored.metrics["auc"] <= 1.0
    assert stored.algorithm in {"logistic", "lightgbm"}
    assert stored.card["version"] == stored.version
    assert "sex" in stored.fairness["groups"] or stored.fairness["groups"]
    assert bytes(stored.artefact)
