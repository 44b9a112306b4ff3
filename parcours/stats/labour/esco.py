"""Reader for ESCO occupation exports (``occupations_<lang>.csv``).

The European Commission publishes ESCO as CSV files per language. The occupation file has the
columns ``conceptType, conceptUri, iscoGroup, preferredLabel, altLabels, hiddenLabels, status,
modifiedDate, regulatedProfessionNote, scopeNote, definition, inScheme, description, code``
(ESCO 1.2 adds ``naceCode``; other extra columns are kept in ``extra``). ``altLabels`` and
``hiddenLabels`` hold one label per line inside a quoted field, so one record can span several
physical lines: issues report the physical line where the record starts.

References
----------
European Commission, "ESCO - European Skills, Competences, Qualifications and Occupations",
https://esco.ec.europa.eu (download page, CSV export).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from parcours.stats.errors import BadInputError
from parcours.stats.labour.rome import Issue, iter_csv

REQUIRED_COLUMNS = ("conceptType", "conceptUri", "preferredLabel")
KNOWN_COLUMNS = (
    "conceptType",
    "conceptUri",
    "iscoGroup",
    "preferredLabel",
    "altLabels",
    "hiddenLabels",
    "status",
    "modifiedDate",
    "regulatedProfessionNote",
    "scopeNote",
    "definition",
    "inScheme",
    "description",
    "code",
)
URI_PATTERN = re.compile(r"^http://data\.europa\.eu/esco/occupation/[0-9A-Za-z-]+$")
ISCO_GROUP = re.compile(r"^\d{4}$")
ESCO_CODE = re.compile(r"^\d{4}(\.\d+)+$")
FILE_LANGUAGE = re.compile(r"^occupations_(?P<lang>[a-z]{2,3}(?:-[A-Za-z]+)?)\.csv$")


@dataclass(frozen=True, slots=True)
class EscoOccupation:
    """One ESCO occupation in one language."""

    uri: str
    preferred_label: str
    alt_labels: tuple[str, ...] = ()
    hidden_labels: tuple[str, ...] = ()
    isco_group: str = ""
    code: str = ""
    status: str = ""
    modified_date: str = ""
    regulated_profession_note: str = ""
    scope_note: str = ""
    definition: str = ""
    description: str = ""
    in_scheme: tuple[str, ...] = ()
    language: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> tuple[str, ...]:
        """Preferred label first, then alternative labels (hidden labels are not shown)."""
        return (self.preferred_label, *self.alt_labels)


@dataclass
class EscoOccupations:
    """Result of :func:`read_esco_occupations`: records, issues and the file's language."""

    occupations: list[EscoOccupation]
    issues: list[Issue]
    language: str

    @property
    def errors(self) -> list[Issue]:
        """Issues of severity ``error``."""
        return [i for i in self.issues if i.severity == "error"]

    def label_pairs(self, *, include_hidden: bool = False) -> tuple[list[str], list[str]]:
        """(labels, URIs) for fitting a normaliser: preferred, alternative (and hidden) labels."""
        labels: list[str] = []
        uris: list[str] = []
        for occ in self.occupations:
            forms = occ.labels + (occ.hidden_labels if include_hidden else ())
            for label in dict.fromkeys(forms):
                labels.append(label)
                uris.append(occ.uri)
        return labels, uris


def split_labels(value: str) -> tuple[str, ...]:
    """Split a multi-label field (one label per line) into stripped, non-empty labels."""
    return tuple(dict.fromkeys(s.strip() for s in value.splitlines() if s.strip()))


def language_of(path: Path) -> str:
    """Language code from a file name such as ``occupations_fr.csv`` ("" when it does not say)."""
    match = FILE_LANGUAGE.match(path.name)
    return match["lang"] if match else ""


def iter_esco_occupations(path: str | Path, issues: list[Issue]) -> Iterator[EscoOccupation]:
    """Stream valid occupations from an ESCO ``occupations_<lang>.csv``; problems go to ``issues``.

    Checks: required columns, ``conceptType == "Occupation"``, URI form, non-empty preferred
    label, ``iscoGroup`` (4 digits) and ``code`` (``dddd.n``) when present, duplicate URIs.
    """
    path = Path(path)
    language = language_of(path)
    seen: set[str] = set()
    # Multi-line labels: iter_csv gives each record its physical start line.
    for line, row in iter_csv(path, REQUIRED_COLUMNS, issues):
        occ = _validate(row, path.name, line, issues, language, seen)
        if occ is not None:
            seen.add(occ.uri)
            yield occ


def _validate(
    row: dict[str, str], name: str, line: int, issues: list[Issue], language: str, seen: set[str]
) -> EscoOccupation | None:
    uri = row["conceptUri"].strip()
    label = row["preferredLabel"].strip()
    isco = row.get("iscoGroup", "").strip()
    code = row.get("code", "").strip()
    problems = []
    if row["conceptType"].strip() != "Occupation":
        problems.append(f"conceptType {row['conceptType']!r} is not 'Occupation'")
    if not URI_PATTERN.match(uri):
        problems.append(f"conceptUri {uri!r} is not an ESCO occupation URI")
    elif uri in seen:
        problems.append(f"duplicate conceptUri {uri}")
    if not label:
        problems.append("empty preferredLabel")
    if isco and not ISCO_GROUP.match(isco):
        problems.append(f"iscoGroup {isco!r} is not a 4-digit ISCO-08 unit group")
    if code and not ESCO_CODE.match(code):
        problems.append(f"code {code!r} is not an ESCO occupation code (dddd.n)")
    elif code and isco and not code.startswith(isco):
        problems.append(f"code {code} does not belong to iscoGroup {isco}")
    if problems:
        issues.extend(Issue(name, line, p) for p in problems)
        return None
    return EscoOccupation(
        uri=uri,
        preferred_label=label,
        alt_labels=split_labels(row.get("altLabels", "")),
        hidden_labels=split_labels(row.get("hiddenLabels", "")),
        isco_group=isco,
        code=code,
        status=row.get("status", "").strip(),
        modified_date=row.get("modifiedDate", "").strip(),
        regulated_profession_note=row.get("regulatedProfessionNote", "").strip(),
        scope_note=row.get("scopeNote", "").strip(),
        definition=row.get("definition", "").strip(),
        description=row.get("description", "").strip(),
        in_scheme=tuple(s.strip() for s in row.get("inScheme", "").split(",") if s.strip()),
        language=language,
        extra={k: v for k, v in row.items() if k not in KNOWN_COLUMNS},
    )


def read_esco_occupations(path: str | Path) -> EscoOccupations:
    """Read and validate an ESCO occupations file.

    Parameters
    ----------
    path : str or Path
        An ``occupations_<lang>.csv`` file of the ESCO CSV export (any language).

    Returns
    -------
    EscoOccupations
        Valid occupations, issues with their physical line numbers, language from the name.

    Raises
    ------
    BadInputError
        When the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"ESCO file not found: {path}")
    issues: list[Issue] = []
    occupations = list(iter_esco_occupations(path, issues))
    return EscoOccupations(occupations=occupations, issues=issues, language=language_of(path))
