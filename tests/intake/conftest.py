"""The labour fixtures (the ROME sample with its fitted normaliser): the current job at intake goes
through the job-title normaliser."""

from tests.labour.conftest import artefact_dir, rome_sample  # noqa: F401
