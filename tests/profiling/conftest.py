import pytest

from parcours.profiling.actions import train_platform_model
from tests.profiling.factories import closed_history


@pytest.fixture
def trained_model(organisation, counselor):
    """A model trained on 300 closed episodes of `organisation`, active."""
    closed_history(300, organisation=organisation, referent=counselor)
    model = train_platform_model(by=counselor, activate=True, n_boot=100, n_boot_audit=50)
    assert model is not None
    return model
