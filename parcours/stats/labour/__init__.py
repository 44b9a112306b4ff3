"""Labour-market reference data and text matching, without Django.

- :mod:`~parcours.stats.labour.rome` reads and validates the official ROME 4.0 CSV set.
- :mod:`~parcours.stats.labour.esco` reads ESCO ``occupations_<lang>.csv`` exports.
- :mod:`~parcours.stats.labour.normalise` maps free-text job titles to ranked occupations.
- :mod:`~parcours.stats.labour.skills` maps free-text skills to ROME items and occupations.
- :mod:`~parcours.stats.labour.evaluate` measures the normaliser on held-out official titles.

See ``docs/labour.md``.
"""
