"""Import of the official communes and postcodes files (``parcours organisations import-communes``).

- INSEE's *Code officiel géographique*, communes file (``v_commune_2024.csv``, UTF-8, ``,``):
  ``TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT``. The communes are the
  rows ``TYPECOM=COM`` (name: ``LIBELLE``, with its article); the municipal arrondissements (``ARM``:
  Paris, Lyon, Marseille) and the associated or delegated communes (``COMA``, ``COMD``) are not
  communes of their own, but their codes lead to their parent commune (``COMPARENT``): La Poste files
  Marseille's postcodes under its arrondissements' codes (13201 → 13001...).
- La Poste's *Base officielle des codes postaux* (``019HexaSmal.csv``, ``;``): header
  ``#Code_commune_INSEE;Nom_de_la_commune;Code_postal;Libellé_d_acheminement;Ligne_5`` (latin-1 or
  UTF-8) or ``code_commune_insee;nom_de_la_commune;code_postal;libelle_d_acheminement;ligne_5``
  (UTF-8). A line whose INSEE code leads to no commune of the communes file (Monaco, a commune
  that no longer exists) is skipped and counted.

Both files are read and checked whole before anything is written (parcours.stats.tabular: file:line
in every message); the write is one transaction: all or nothing. Idempotent: communes are matched by
INSEE code (name and département updated, population and coordinates kept), and each commune of the
file ends with exactly the postcodes the postcodes file gives it. A commune missing from the file is
left as it is (people and sites may refer to it). The département of a commune is linked when that
département exists (the communes file does not name the départements).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from parcours.organisations.models import Postcode, Territory, fold_name
from parcours.stats.errors import BadInputError
from parcours.stats.tabular import decode, iter_csv

COMMUNE_COLUMNS = ("TYPECOM", "COM", "DEP", "LIBELLE", "COMPARENT")
TYPES = {"COM", "COMA", "COMD", "ARM"}  # commune; associated, delegated commune; municipal arrondissement
POSTCODE_HEADERS = (  # (INSEE code, postcode) columns of each known variant of La Poste's file
    ("#Code_commune_INSEE", "Code_postal"),
    ("code_commune_insee", "code_postal"),
)
OLD_POSTCODE_HEADER = b"#Code_commune_INSEE;"  # the historical variant, often latin-1
BATCH = 500


@dataclass
class CommuneRow:
    insee_code: str
    name: str
    departement: str


@dataclass
class Report:
    communes_read: int = 0
    communes_created: int = 0
    communes_updated: int = 0
    communes_unchanged: int = 0
    communes_without_departement: int = 0
    postcodes_read: int = 0
    postcodes_created: int = 0
    postcodes_deleted: int = 0
    postcodes_unchanged: int = 0
    postcode_lines_skipped: int = 0
    skipped_codes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        data["skipped_codes"] = sorted(set(self.skipped_codes))[:20]
        return data


def _is_code(value: str) -> bool:
    return len(value) == 5 and value[0].isdigit() and value[1] in "0123456789AB" and value[2:].isdigit()


def _read_bytes(path: str | Path) -> bytes:
    path = Path(path)
    if not path.exists():
        raise BadInputError(f"{path}: no such file")
    if path.is_dir():
        raise BadInputError(f"{path}: is a directory, not a file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc.strerror}") from exc


def read_communes(path: str | Path) -> tuple[dict[str, CommuneRow], dict[str, str]]:
    """({INSEE code: commune} for TYPECOM=COM, {other code (ARM, COMA, COMD): its commune's code})."""
    name = str(path)
    header, _delimiter, rows = iter_csv(decode(_read_bytes(path), name), name, required=COMMUNE_COLUMNS)
    index = {column: header.index(column) for column in COMMUNE_COLUMNS}
    communes: dict[str, CommuneRow] = {}
    parents: dict[str, str] = {}
    for line, row in rows:
        kind, code, dep, label, parent = (row[index[c]].strip() for c in COMMUNE_COLUMNS)
        if kind not in TYPES:
            raise BadInputError(
                f"{name}:{line}: unknown TYPECOM {kind!r} (expected one of {', '.join(sorted(TYPES))})"
            )
        if not _is_code(code):
            raise BadInputError(
                f"{name}:{line}: COM {code!r} is not an INSEE code (5 characters, e.g. 59350 or 2A004)"
            )
        if not label:
            raise BadInputError(f"{name}:{line}: empty LIBELLE for {code}")
        if kind == "COM":
            if code in communes:
                raise BadInputError(f"{name}:{line}: commune {code} appears twice")
            communes[code] = CommuneRow(code, label, dep)
        elif _is_code(parent):
            parents[code] = parent
        else:
            raise BadInputError(f"{name}:{line}: {kind} {code} has no valid COMPARENT ({parent!r})")
    unknown = sorted(code for code, parent in parents.items() if parent not in communes)
    if unknown:
        raise BadInputError(f"{name}: COMPARENT of {unknown[0]} is not a commune of the file")
    return communes, parents


def read_postcodes(path: str | Path) -> list[tuple[int, str, str]]:
    """[(line, postcode, INSEE code)] of La Poste's file, either variant."""
    name = str(path)
    raw = _read_bytes(path)
    try:
        text = decode(raw, name)
    except BadInputError:
        if not raw.lstrip(b"\xef\xbb\xbf").startswith(OLD_POSTCODE_HEADER) or b"\x00" in raw:
            raise
        text = raw.decode("latin-1")  # the historical file, as La Poste published it
    first = text.split("\n", 1)[0].lstrip("\ufeff")
    columns = next((pair for pair in POSTCODE_HEADERS if first.startswith(pair[0])), None)
    if columns is None:
        raise BadInputError(
            f"{name}:1: not La Poste's postcodes file"
            f" (header {POSTCODE_HEADERS[0][0]};… or {POSTCODE_HEADERS[1][0]};…)"
        )
    insee_column, postcode_column = columns
    header, _delimiter, rows = iter_csv(text, name, required=(insee_column, postcode_column), delimiter=";")
    insee_at, postcode_at = header.index(insee_column), header.index(postcode_column)
    found = []
    for line, row in rows:
        insee, postcode = row[insee_at].strip().upper(), row[postcode_at].strip()
        if not _is_code(insee):
            raise BadInputError(f"{name}:{line}: {insee!r} is not an INSEE code")
        if not (len(postcode) == 5 and postcode.isdigit()):
            raise BadInputError(f"{name}:{line}: {postcode!r} is not a postcode (5 digits)")
        found.append((line, postcode, insee))
    return found


def import_communes(communes_file: str | Path, postcodes_file: str | Path, *, progress=None) -> Report:
    """Read both files, then upsert the communes and their postcodes in one transaction.
    ``progress``: a tqdm bar (its ``total`` is set once the files are read), told of every commune."""
    rows, parents = read_communes(communes_file)
    postcode_rows = read_postcodes(postcodes_file)
    report = Report(communes_read=len(rows), postcodes_read=len(postcode_rows))
    if progress is not None:
        progress.total = len(rows)
    with transaction.atomic():
        by_code = _upsert_communes(rows, report, progress)
        _replace_postcodes(postcode_rows, parents, by_code, report)
    return report


def _upsert_communes(rows: dict[str, CommuneRow], report: Report, progress) -> dict[str, int]:
    departements = dict(
        Territory.objects.filter(level=Territory.Level.DEPARTEMENT).values_list("insee_code", "pk")
    )
    existing = {
        t.insee_code: t
        for t in Territory.objects.filter(level=Territory.Level.COMMUNE).only(
            "insee_code", "name", "folded_name", "parent_id"
        )
    }
    created, changed = [], []
    for code, row in rows.items():
        parent_id = departements.get(row.departement)
        if parent_id is None:
            report.communes_without_departement += 1
        commune = existing.get(code)
        if commune is None:
            created.append(
                Territory(
                    level=Territory.Level.COMMUNE,
                    insee_code=code,
                    name=row.name,
                    folded_name=fold_name(row.name),
                    parent_id=parent_id,
                )
            )
            continue
        parent_id = parent_id or commune.parent_id
        if (commune.name, commune.folded_name, commune.parent_id) == (
            row.name,
            fold_name(row.name),
            parent_id,
        ):
            report.communes_unchanged += 1
            continue
        commune.name, commune.folded_name, commune.parent_id = row.name, fold_name(row.name), parent_id
        changed.append(commune)
    for start in range(0, len(created), BATCH):
        Territory.objects.bulk_create(created[start : start + BATCH])
        if progress is not None:
            progress.update(len(created[start : start + BATCH]))
    for start in range(0, len(changed), BATCH):
        Territory.objects.bulk_update(changed[start : start + BATCH], ["name", "folded_name", "parent"])
        if progress is not None:
            progress.update(len(changed[start : start + BATCH]))
    if progress is not None:
        progress.update(report.communes_unchanged)
    report.communes_created, report.communes_updated = len(created), len(changed)
    communes = Territory.objects.filter(level=Territory.Level.COMMUNE).values_list("insee_code", "pk")
    return {code: pk for code, pk in communes.iterator(chunk_size=5000) if code in rows}


def _replace_postcodes(
    postcode_rows: list[tuple[int, str, str]],
    parents: dict[str, str],
    by_code: dict[str, int],
    report: Report,
) -> None:
    wanted: set[tuple[str, int]] = set()
    for _line, postcode, insee in postcode_rows:
        commune_id = by_code.get(parents.get(insee, insee))
        if commune_id is None:
            report.postcode_lines_skipped += 1
            report.skipped_codes.append(insee)
            continue
        wanted.add((postcode, commune_id))
    in_file = set(by_code.values())
    current = {
        (code, commune_id): pk
        for pk, code, commune_id in Postcode.objects.values_list("pk", "code", "commune_id")
        if commune_id in in_file
    }
    stale = [pk for key, pk in current.items() if key not in wanted]
    for start in range(0, len(stale), BATCH):
        Postcode.objects.filter(pk__in=stale[start : start + BATCH]).delete()
    missing = [
        Postcode(code=code, commune_id=commune_id) for code, commune_id in sorted(wanted - set(current))
    ]
    Postcode.objects.bulk_create(missing, batch_size=BATCH)
    report.postcodes_created, report.postcodes_deleted = len(missing), len(stale)
    report.postcodes_unchanged = len(wanted & set(current))
