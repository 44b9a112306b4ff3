"""Reading an ESCO ``occupations_<lang>.csv`` export for the importer.

Delegates to :mod:`parcours.stats.labour.esco` (the science core reader) and turns its result
into the small shape the importer needs (:class:`EscoData`), so the importer does not depend on
the details of the core's dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from parcours.stats.errors import BadInputError


@dataclass(frozen=True)
class EscoRow:
    uri: str
    preferred_label: str
    alt_labels: tuple[str, ...]
    description: str
    isco_group: str
    code: str


@dataclass
class EscoData:
    language: str
    version: str
    occupations: list[EscoRow]
    issues: list = field(default_factory=list)


def language_of(path: Path, language: str | None) -> str:
    from parcours.stats.labour import esco

    lang = (language or esco.language_of(path)).lower()
    if not lang:
        raise BadInputError(f"{path.name}: cannot tell the language from the file name; give --lang")
    return lang


def read_occupations(path: str | Path, *, language: str | None = None) -> EscoData:
    """Read and validate the file; row problems are returned as issues (file, line, message)."""
    from parcours.stats.labour import esco

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"ESCO file not found: {path}")
    lang = language_of(path, language)
    result = esco.read_esco_occupations(path)
    rows = [
        EscoRow(
            uri=o.uri,
            preferred_label=o.preferred_label,
            alt_labels=tuple(o.alt_labels),
            description=o.description,
            isco_group=o.isco_group,
            code=getattr(o, "code", ""),
        )
        for o in result.occupations
    ]
    # the ESCO CSV export does not name its version; the newest modifiedDate stands for it
    version = (
        max((o.modified_date[:10] for o in result.occupations if o.modified_date), default="") or "unknown"
    )
    return EscoData(language=lang, version=version, occupations=rows, issues=list(result.issues))
