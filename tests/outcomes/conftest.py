"""The labour fixtures: the ROME sample with its fitted normaliser, under a temporary DATA_DIR."""

from tests.labour.conftest import artefact_dir, rome_sample  # noqa: F401
