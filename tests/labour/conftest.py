"""Fixtures of the labour tests: the committed ROME/ESCO samples imported into the test database,
with the fitted artefacts written under a temporary DATA_DIR."""

from pathlib import Path

import pytest

from parcours.labour import importers
from parcours.labour.normalising import load_artefact

FIXTURES = Path(__file__).resolve().parents[2] / "parcours" / "labour" / "fixtures"
ROME_SAMPLE = FIXTURES / "rome_sample"
ESCO_SAMPLE = FIXTURES / "esco_sample"


@pytest.fixture(autouse=True)
def artefact_dir(settings, tmp_path):
    """Artefacts go to a temporary folder; the per-process cache is emptied (test databases reuse
    ids after a rollback, a real database never does)."""
    settings.DATA_DIR = tmp_path / "data"
    load_artefact.cache_clear()
    yield settings.DATA_DIR
    load_artefact.cache_clear()


@pytest.fixture
def rome_sample(db):
    """The committed ROME sample, imported with its job-title and skill artefacts."""
    return importers.import_rome(ROME_SAMPLE)
