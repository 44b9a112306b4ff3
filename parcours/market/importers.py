"""Imports of job offers (France Travail "Offres d'emploi v2" JSON, or CSV) and of hiring
declarations (CSV). CSV files go through the shared reader (parcours.stats.tabular: encoding,
delimiter, row width, truncation, field size, header only: one error with file:line). Every record
is validated before anything is written; errors name the record (CSV: its line; JSON: its index)
and its id. All or nothing by default: any invalid record raises :class:`InvalidRows` and nothing
is written; ``skip_invalid=True`` imports the valid records and reports the others. The writes
(chunked bulk upserts) happen in one transaction; running an import twice changes nothing.

Deduplication (see docs/market.md):

- same source and same id → the record is updated in place;
- another source, same normalised (title, employer, commune, contract) key → the new record is
  kept with ``duplicate_of`` pointing to the canonical offer (the first one seen), and the
  canonical offer's missing fields (salary, coordinates, SIRET, NAF) are completed from it.
  Matching and counts only read canonical offers. Offers without an employer name are never
  merged across sources: a title in a commune is not enough to say two offers are one.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from unidecode import unidecode

from parcours.labour.models import RESOLVE_SCORE, Occupation
from parcours.labour.normalising import NoReferential, get_normaliser
from parcours.market.models import ContractType, Establishment, Hire, JobOffer
from parcours.organisations.models import Territory
from parcours.stats.market.salary import parse_salary
from parcours.stats.tabular import InvalidRows, read_csv

logger = logging.getLogger(__name__)

ROME_CODE = re.compile(r"^[A-N]\d{4}$")
INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
SIRET = re.compile(r"^\d{14}$")
CHUNK_SIZE = 1000

OFFER_CSV_COLUMNS = [
    "id", "title", "rome_code", "contract_type", "posted_on", "description", "rome_label", "job_title",
    "employer", "siret", "naf", "commune_insee", "postcode", "place", "latitude", "longitude", "salary",
    "hours", "full_time", "positions", "experience", "skills",
]  # fmt: skip
# rome_code may be left empty: the occupation is then inferred from the title (see _infer_occupations).
OFFER_CSV_REQUIRED = ["id", "title", "contract_type", "posted_on"]
HIRE_CSV_REQUIRED = ["siret", "hired_on"]
HIRE_CSV_COLUMNS = [
    "siret", "hired_on", "rome_code", "contract_type", "naf", "commune_insee", "establishment_name",
    "headcount", "declaration_id",
]  # fmt: skip

UPDATABLE_FIELDS = [
    "title", "description", "rome_code", "rome_label", "job_title_label", "rome_score", "employer_name", "employer_siret",
    "naf_code", "place_label", "commune_insee", "postcode", "latitude", "longitude", "contract_type",
    "contract_label", "hours_label", "full_time", "salary_label", "salary_min_monthly", "salary_max_monthly",
    "positions", "experience", "skills", "skill_keys", "posted_at", "source_updated_at", "is_active", "dedup_key",
]  # fmt: skip
# Fields of a canonical offer completed from a duplicate when the canonical lacks them.
COMPLETABLE_FIELDS = ["salary_label", "salary_min_monthly", "salary_max_monthly", "latitude", "longitude",
                      "employer_siret", "naf_code", "description"]  # fmt: skip


class BadPayload(ValueError):
    """The file as a whole cannot be read (not a list, missing required columns...)."""


class RecordError(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class RecordProblem:
    index: int
    id: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"index={self.index} id={self.id or '-'} field={self.field} message={self.message}"

    def as_dict(self) -> dict:
        return {"index": self.index, "id": self.id, "field": self.field, "message": self.message}


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    inferred: int = 0  # occupations inferred from the title (the source gave no ROME code)
    uncertain: int = 0  # ... of which with a score under RESOLVE_SCORE
    errors: list[RecordProblem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "inferred": self.inferred,
            "uncertain": self.uncertain,
            "errors": [e.as_dict() for e in self.errors],
        }


def normalise_text(text: str) -> str:
    """Lower case, no accents, letters and digits separated by single spaces."""
    return re.sub(r"[^a-z0-9]+", " ", unidecode(text or "").lower()).strip()


def dedup_key(title: str, employer: str, commune: str, contract: str) -> str:
    """The cross-source duplicate key; empty when the employer is unknown (never merged)."""
    employer_key = normalise_text(employer)
    if not employer_key:
        return ""
    raw = "|".join([normalise_text(title), employer_key, commune or "", contract or ""])
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _progress(iterable, total: int | None, enabled: bool, desc: str):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="chunk", file=sys.stderr)


def _float(value, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(str(value).replace(",", "."))
    except ValueError as exc:
        raise RecordError(name, f"not a number: {value!r}") from exc


def _datetime(value, name: str, *, required: bool) -> datetime.datetime | None:
    if value in (None, ""):
        if required:
            raise RecordError(name, "missing")
        return None
    text = str(value).strip()
    try:
        parsed = parse_datetime(text)
        day = parse_date(text) if parsed is None else None
    except ValueError as exc:
        raise RecordError(name, f"not a date: {value!r}") from exc
    if parsed is None:
        if day is None:
            raise RecordError(name, f"not a date: {value!r}")
        parsed = datetime.datetime.combine(day, datetime.time())
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def _contract(code: str | None) -> str:
    if not code:
        raise RecordError("typeContrat", "missing")
    code = str(code).strip().upper()
    return code if code in ContractType.values else ContractType.OTHER


def _full_time(label: str | None) -> bool | None:
    key = normalise_text(label or "")
    if "temps plein" in key:
        return True
    if "temps partiel" in key:
        return False
    return None


def _skills(items) -> list[dict]:
    skills = []
    for item in items or []:
        if isinstance(item, dict) and item.get("libelle"):
            skills.append({"code": str(item.get("code") or ""), "label": str(item["libelle"])[:300]})
        elif isinstance(item, str) and item.strip():
            skills.append({"code": "", "label": item.strip()[:300]})
    return skills


def _salary(fields: dict, text: str) -> None:
    parsed = parse_salary(text)
    fields["salary_label"] = (text or "")[:300]
    fields["salary_min_monthly"] = Decimal(str(parsed.min_monthly)) if parsed else None
    fields["salary_max_monthly"] = Decimal(str(parsed.max_monthly)) if parsed else None


def _finish(fields: dict) -> dict:
    fields["rome_score"] = None
    if fields["rome_code"] and not ROME_CODE.match(fields["rome_code"]):
        raise RecordError("romeCode", f"not a ROME code: {fields['rome_code']!r}")
    if not fields["title"]:
        raise RecordError("intitule", "missing")
    commune = fields["commune_insee"]
    if commune and not INSEE_CODE.match(commune):
        raise RecordError("lieuTravail.commune", f"not an INSEE code: {commune!r}")
    if (fields["latitude"] is None) != (fields["longitude"] is None):
        raise RecordError("lieuTravail", "latitude and longitude go together")
    if fields["latitude"] is not None and not (
        -90 <= fields["latitude"] <= 90 and -180 <= fields["longitude"] <= 180
    ):
        raise RecordError("lieuTravail", "coordinates out of range")
    if fields["employer_siret"] and not SIRET.match(fields["employer_siret"]):
        fields["employer_siret"] = ""  # a malformed SIRET is dropped, not fatal: it is only a link
    fields["skill_keys"] = "|".join(sorted({normalise_text(s["label"]) for s in fields["skills"]}))
    fields["dedup_key"] = dedup_key(
        fields["title"], fields["employer_name"], commune, fields["contract_type"]
    )
    return fields


def offer_from_france_travail(record) -> dict:
    """Model fields of one record of the "Offres d'emploi v2" API."""
    if not isinstance(record, dict):
        raise RecordError("-", "not an object")
    place = record.get("lieuTravail") or {}
    company = record.get("entreprise") or {}
    salary = record.get("salaire") or {}
    if not record.get("id"):
        raise RecordError("id", "missing")
    fields = {
        "external_id": str(record["id"])[:60],
        "title": str(record.get("intitule") or "").strip()[:300],
        "description": str(record.get("description") or ""),
        "rome_code": str(record.get("romeCode") or "").strip().upper(),
        "rome_label": str(record.get("romeLibelle") or "")[:200],
        "job_title_label": str(record.get("appellationlibelle") or "")[:200],
        "employer_name": str(company.get("nom") or "").strip()[:200],
        "employer_siret": str(company.get("siret") or "").replace(" ", ""),
        "naf_code": str(record.get("codeNAF") or record.get("secteurActivite") or "").replace(".", "")[:6],
        "place_label": str(place.get("libelle") or "")[:200],
        "commune_insee": str(place.get("commune") or "").strip(),
        "postcode": str(place.get("codePostal") or "")[:5],
        "latitude": _float(place.get("latitude"), "lieuTravail.latitude"),
        "longitude": _float(place.get("longitude"), "lieuTravail.longitude"),
        "contract_type": _contract(record.get("typeContrat")),
        "contract_label": str(record.get("typeContratLibelle") or "")[:200],
        "hours_label": str(record.get("dureeTravailLibelle") or "")[:200],
        "full_time": _full_time(record.get("dureeTravailLibelleConverti")),
        "positions": max(1, int(record.get("nombrePostes") or 1)),
        "experience": str(record.get("experienceExige") or "")[:1],
        "skills": _skills(record.get("competences")),
        "posted_at": _datetime(record.get("dateCreation"), "dateCreation", required=True),
        "source_updated_at": _datetime(record.get("dateActualisation"), "dateActualisation", required=False),
        "is_active": True,
    }
    _salary(fields, str(salary.get("libelle") or ""))
    return _finish(fields)


def offer_from_csv(row: dict) -> dict:
    """Model fields of one CSV row (columns in :data:`OFFER_CSV_COLUMNS`)."""
    get = lambda name: (row.get(name) or "").strip()  # noqa: E731
    for name in OFFER_CSV_REQUIRED:
        if not get(name):
            raise RecordError(name, "missing")
    full_time = get("full_time").lower()
    try:
        positions = max(1, int(get("positions") or 1))
    except ValueError as exc:
        raise RecordError("positions", f"not an integer: {get('positions')!r}") from exc
    fields = {
        "external_id": get("id")[:60],
        "title": get("title")[:300],
        "description": get("description"),
        "rome_code": get("rome_code").upper(),
        "rome_label": get("rome_label")[:200],
        "job_title_label": get("job_title")[:200],
        "employer_name": get("employer")[:200],
        "employer_siret": get("siret").replace(" ", ""),
        "naf_code": get("naf").replace(".", "")[:6],
        "place_label": get("place")[:200],
        "commune_insee": get("commune_insee"),
        "postcode": get("postcode")[:5],
        "latitude": _float(get("latitude"), "latitude"),
        "longitude": _float(get("longitude"), "longitude"),
        "contract_type": _contract(get("contract_type")),
        "contract_label": "",
        "hours_label": get("hours")[:200],
        "full_time": {"true": True, "1": True, "oui": True, "false": False, "0": False, "non": False}.get(
            full_time, _full_time(get("hours"))
        ),
        "positions": positions,
        "experience": get("experience")[:1],
        "skills": _skills([s for s in get("skills").split("|") if s.strip()]),
        "posted_at": _datetime(get("posted_on"), "posted_on", required=True),
        "source_updated_at": None,
        "is_active": True,
    }
    _salary(fields, get("salary"))
    return _finish(fields)


def _fill_coordinates(rows: list[dict]) -> None:
    """Offers with a commune but no coordinates take the commune's (one query per chunk)."""
    wanted = {r["commune_insee"] for r in rows if r["latitude"] is None and r["commune_insee"]}
    if not wanted:
        return
    places = {
        code: (lat, lon)
        for code, lat, lon in Territory.objects.filter(
            level=Territory.Level.COMMUNE, insee_code__in=wanted, latitude__isnull=False
        ).values_list("insee_code", "latitude", "longitude")
    }
    for row in rows:
        if row["latitude"] is None and row["commune_insee"] in places:
            row["latitude"], row["longitude"] = places[row["commune_insee"]]


def _write_offer_chunk(rows: list[dict], source: str, report: ImportReport) -> None:
    _fill_coordinates(rows)
    existing = {
        o.external_id: o
        for o in JobOffer.objects.filter(source=source, external_id__in=[r["external_id"] for r in rows])
    }
    keys = {r["dedup_key"] for r in rows if r["dedup_key"]}
    canonical: dict[str, JobOffer] = {}
    for offer in (
        JobOffer.objects.filter(dedup_key__in=keys, duplicate_of__isnull=True)
        .exclude(source=source)
        .order_by("pk")
    ):
        canonical.setdefault(offer.dedup_key, offer)
    to_create, to_update, completed = [], [], {}
    for row in rows:
        current = existing.get(row["external_id"])
        if current is None:
            offer = JobOffer(source=source, **row)
            to_create.append(offer)
        else:
            changed = [name for name in UPDATABLE_FIELDS if getattr(current, name) != row[name]]
            if not changed:
                report.unchanged += 1
                continue
            for name in changed:
                setattr(current, name, row[name])
            offer = current
            to_update.append(offer)
        target = canonical.get(row["dedup_key"])
        if target is not None and offer.duplicate_of_id in (None, target.pk) and offer.pk != target.pk:
            offer.duplicate_of = target
            report.duplicates += 1
            for name in COMPLETABLE_FIELDS:
                if getattr(target, name) in (None, "") and row[name] not in (None, ""):
                    setattr(target, name, row[name])
                    completed[target.pk] = target
    JobOffer.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        JobOffer.objects.bulk_update(
            to_update, [*UPDATABLE_FIELDS, "duplicate_of", "updated_at"], batch_size=500
        )
    if completed:
        JobOffer.objects.bulk_update(
            list(completed.values()), [*COMPLETABLE_FIELDS, "updated_at"], batch_size=500
        )
    report.created += len(to_create)
    report.updated += len(to_update)


def _check_records(report: ImportReport, n_valid: int, *, skip_invalid: bool, name: str, csv: bool) -> None:
    """Before any write: refuse an input without records, with invalid records (unless
    ``skip_invalid``) or without any valid record. Problems read ``file:line: …`` for a CSV file
    and ``file: record N …`` for JSON."""
    if report.total == 0:
        raise BadPayload("no record")
    problems = [
        f"{name}:{e.index}: {e.field}: {e.message}"
        if csv
        else f"{name}: record {e.index}: {e.field}: {e.message}"
        for e in report.errors
    ]
    if n_valid == 0:
        raise InvalidRows(f"{name}: no valid record ({len(report.errors)} invalid)", problems, report)
    if report.errors and not skip_invalid:
        raise InvalidRows(
            f"{name}: {len(report.errors)} invalid record(s), nothing imported; "
            "fix them or use --skip-invalid",
            problems,
            report,
        )


def _infer_occupations(
    converted: list[tuple[int, str, dict]], report: ImportReport, *, field_name: str
) -> list[dict]:
    """Offers whose source gives no ROME code get the job-title normaliser's best occupation for
    their title, its score kept in ``rome_score`` (counted in ``report.inferred``, and in
    ``report.uncertain`` under RESOLVE_SCORE). Without a fitted ROME normaliser, or when the title
    matches nothing, the record is invalid. Offers with a code and no label take the referential's
    label (one query). Returns the fields of the valid records."""
    missing = [
        (index, record_id, fields) for index, record_id, fields in converted if not fields["rome_code"]
    ]
    normaliser = None
    if missing:
        with contextlib.suppress(NoReferential):  # every such record is then refused below
            normaliser, _artefact = get_normaliser("rome")
    answers = normaliser.query_batch([f["title"] for _i, _id, f in missing], top=1) if normaliser else []
    rejected = set()
    for position, (index, record_id, fields) in enumerate(missing):
        best = answers[position][0] if normaliser and answers[position] else None
        if best is None:
            why = "no ROME code, and no ROME referential imported to infer it from the title"
            if normaliser:
                why = "no ROME code, and the title matches no occupation"
            report.errors.append(RecordProblem(index, record_id, field_name, why))
            rejected.add(index)
            continue
        fields["rome_code"] = best.code
        fields["job_title_label"] = fields["job_title_label"] or best.label[:200]
        fields["rome_score"] = round(float(best.score), 3)
        report.inferred += 1
        report.uncertain += fields["rome_score"] < RESOLVE_SCORE
    valid = [fields for index, _id, fields in converted if index not in rejected]
    unlabelled = {fields["rome_code"] for fields in valid if not fields["rome_label"]}
    if unlabelled:
        labels = dict(Occupation.objects.filter(rome_code__in=unlabelled).values_list("rome_code", "label"))
        for fields in valid:
            fields["rome_label"] = fields["rome_label"] or labels.get(fields["rome_code"], "")[:200]
    return valid


def _import_offer_rows(
    items: Iterable[tuple[int, str, object]],
    convert,
    source: str,
    *,
    chunk_size: int,
    progress: bool,
    skip_invalid: bool,
    name: str,
    csv: bool,
) -> ImportReport:
    report = ImportReport()
    converted, seen = [], set()
    for index, record_id, record in items:
        report.total += 1
        try:
            fields = convert(record)
        except RecordError as exc:
            report.errors.append(RecordProblem(index, record_id, exc.field, exc.message))
            continue
        except (TypeError, ValueError) as exc:
            report.errors.append(RecordProblem(index, record_id, "-", str(exc)))
            continue
        if fields["external_id"] in seen:
            report.errors.append(RecordProblem(index, record_id, "id", "same id twice in the file"))
            continue
        seen.add(fields["external_id"])
        converted.append((index, record_id, fields))
    valid = _infer_occupations(converted, report, field_name="romeCode" if not csv else "rome_code")
    report.errors.sort(key=lambda e: e.index)
    _check_records(report, len(valid), skip_invalid=skip_invalid, name=name, csv=csv)
    n_chunks = -(-len(valid) // chunk_size)
    with transaction.atomic():
        for chunk in _progress(_chunks(valid, chunk_size), n_chunks, progress, "offres"):
            _write_offer_chunk(chunk, source, report)
    logger.info(
        "offers_import source=%s total=%s created=%s updated=%s unchanged=%s duplicates=%s inferred=%s "
        "uncertain=%s errors=%s",
        source, report.total, report.created, report.updated, report.unchanged, report.duplicates, report.inferred,
        report.uncertain, len(report.errors),
    )  # fmt: skip
    return report


def import_offers_json(
    payload,
    *,
    source: str = "france_travail",
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
    skip_invalid: bool = False,
    name: str = "offers",
) -> ImportReport:
    """Import offers in the shape of France Travail's "Offres d'emploi v2" API.

    ``payload`` is the search response (``{"resultats": [...]}``) or a bare list of offers.
    Errors name the record's index in the list (from 0).
    """
    records = payload.get("resultats") if isinstance(payload, dict) else payload
    if not isinstance(records, list):
        raise BadPayload('expected a list of offers or an object with a "resultats" list')
    items = ((i, str(r.get("id") or "") if isinstance(r, dict) else "", r) for i, r in enumerate(records))
    return _import_offer_rows(
        items,
        offer_from_france_travail,
        source,
        chunk_size=chunk_size,
        progress=progress,
        skip_invalid=skip_invalid,
        name=name,
        csv=False,
    )


def import_offers_csv(
    source_file,
    *,
    source: str = "csv",
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import offers from a CSV file (a path or an open text stream; ``,``, ``;`` or tab
    separated, UTF-8, a header row). Errors name the record's physical line in the file."""
    table = read_csv(source_file, required=OFFER_CSV_REQUIRED)
    items = ((line, (row.get("id") or "").strip(), row) for line, row in table.rows)
    return _import_offer_rows(
        items,
        offer_from_csv,
        source,
        chunk_size=chunk_size,
        progress=progress,
        skip_invalid=skip_invalid,
        name=table.name,
        csv=True,
    )


# --- Hiring declarations ---------------------------------------------------------------------


def hire_from_csv(row: dict, occurrence: int) -> dict:
    get = lambda name: (row.get(name) or "").strip()  # noqa: E731
    siret = get("siret").replace(" ", "")
    if not SIRET.match(siret):
        raise RecordError("siret", f"not a SIRET (14 digits): {siret!r}")
    try:
        day = parse_date(get("hired_on")) if get("hired_on") else None
    except ValueError:
        day = None
    if day is None:
        raise RecordError("hired_on", f"not a date (YYYY-MM-DD): {get('hired_on')!r}")
    rome = get("rome_code").upper()
    if rome and not ROME_CODE.match(rome):
        raise RecordError("rome_code", f"not a ROME code: {rome!r}")
    commune = get("commune_insee")
    if commune and not INSEE_CODE.match(commune):
        raise RecordError("commune_insee", f"not an INSEE code: {commune!r}")
    contract = get("contract_type").upper()
    if contract and contract not in ContractType.values:
        contract = ContractType.OTHER
    headcount = get("headcount")
    if headcount and not headcount.isdigit():
        raise RecordError("headcount", f"not an integer: {headcount!r}")
    declaration = get("declaration_id")
    raw = declaration or f"{siret}|{day.isoformat()}|{rome}|{contract}|{occurrence}"
    return {
        "siret": siret,
        "hired_on": day,
        "rome_code": rome,
        "contract_type": contract,
        "naf_code": get("naf").replace(".", "")[:6],
        "commune_insee": commune,
        "name": get("establishment_name")[:200],
        "headcount": int(headcount) if headcount else None,
        "declaration_key": hashlib.sha256(raw.encode()).hexdigest()[:64],
    }


def _establishments_for(rows: list[dict]) -> dict[str, Establishment]:
    sirets = {r["siret"] for r in rows}
    known = {e.siret: e for e in Establishment.objects.filter(siret__in=sirets)}
    communes = {r["commune_insee"] for r in rows if r["commune_insee"]}
    places = {
        code: (lat, lon)
        for code, lat, lon in Territory.objects.filter(
            level=Territory.Level.COMMUNE, insee_code__in=communes
        ).values_list("insee_code", "latitude", "longitude")
    }
    new, changed = {}, {}
    for row in rows:
        est = known.get(row["siret"]) or new.get(row["siret"])
        if est is None:
            est = new[row["siret"]] = Establishment(siret=row["siret"])
        for name in ("name", "naf_code", "commune_insee", "headcount"):
            if row[name] not in (None, "") and getattr(est, name) in (None, ""):
                setattr(est, name, row[name])
                if est.pk:
                    changed[est.siret] = est
        if est.latitude is None and est.commune_insee in places:
            est.latitude, est.longitude = places[est.commune_insee]
            if est.pk:
                changed[est.siret] = est
    Establishment.objects.bulk_create(list(new.values()), batch_size=500)
    if changed:
        Establishment.objects.bulk_update(
            list(changed.values()),
            ["name", "naf_code", "commune_insee", "headcount", "latitude", "longitude"],
        )
    return {e.siret: e for e in Establishment.objects.filter(siret__in=sirets)}


def import_hires_csv(
    source_file, *, chunk_size: int = CHUNK_SIZE, progress: bool = False, skip_invalid: bool = False
) -> ImportReport:
    """Import hiring declarations from CSV (a path or an open text stream; columns in
    :data:`HIRE_CSV_COLUMNS`). Errors name the record's physical line in the file.

    Establishments are created on first sight (SIRET) and completed, never overwritten, by later
    lines. A line without ``declaration_id`` is keyed by its content and its occurrence number in
    the file, so that two identical hires on the same day are two hires, and a re-import adds none.
    """
    table = read_csv(source_file, required=HIRE_CSV_REQUIRED)
    report = ImportReport()
    occurrences: dict[tuple, int] = {}
    valid = []
    for line, row in table.rows:
        report.total += 1
        base = tuple((row.get(k) or "").strip() for k in ("siret", "hired_on", "rome_code", "contract_type"))
        occurrences[base] = occurrences.get(base, 0) + 1
        try:
            valid.append(hire_from_csv(row, occurrences[base]))
        except RecordError as exc:
            report.errors.append(
                RecordProblem(line, (row.get("declaration_id") or "").strip(), exc.field, exc.message)
            )
    _check_records(report, len(valid), skip_invalid=skip_invalid, name=table.name, csv=True)
    n_chunks = -(-len(valid) // chunk_size)
    with transaction.atomic():
        for chunk in _progress(_chunks(valid, chunk_size), n_chunks, progress, "embauches"):
            establishments = _establishments_for(chunk)
            keys = {r["declaration_key"] for r in chunk}
            known = set(
                Hire.objects.filter(declaration_key__in=keys).values_list("declaration_key", flat=True)
            )
            hires = [
                Hire(
                    establishment=establishments[r["siret"]],
                    hired_on=r["hired_on"],
                    rome_code=r["rome_code"],
                    contract_type=r["contract_type"],
                    declaration_key=r["declaration_key"],
                )
                for r in chunk
                if r["declaration_key"] not in known
            ]
            Hire.objects.bulk_create(hires, batch_size=500, ignore_conflicts=True)
            report.created += len(hires)
            report.unchanged += len(chunk) - len(hires)
    logger.info(
        "hires_import total=%s created=%s unchanged=%s errors=%s",
        report.total,
        report.created,
        report.unchanged,
        len(report.errors),
    )
    return report
