"""The hand-built territory of the catalogue tests (Lille, Roubaix, Lens and their départements),
for the demo builders of the catalogue and the market."""

from tests.catalogue.conftest import departement, lens, lille, roubaix

__all__ = ["departement", "lens", "lille", "roubaix"]
