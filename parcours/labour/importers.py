"""Imports of the official referentials into the database: ROME 4.0 (France Travail CSV set) and
ESCO occupations (European Commission CSV export).

Guarantees (see docs/labour_platform.md):

- every row is validated by the science core readers (parcours.stats.labour.rome / .esco); each
  problem is reported with its file and line;
- by default any invalid row aborts the import before anything is written
  (:class:`ImportAborted` carries the report); ``skip_invalid=True`` imports the valid rows and
  reports the others;
- all writes happen in one ``transaction.atomic``: an error in the middle leaves the previous
  referential exactly as it was;
- re-importing is idempotent: rows are matched on their official code and updated in place
  (``bulk_update`` of the changed rows only, ``bulk_create`` of new rows, in batches); rows absent
  from the new version are deactivated (never deleted: career projects point at them); links
  (occupation -> skill, mobility) are synchronised;
- each import records a :class:`~parcours.labour.models.ReferentialVersion` with its counts and
  duration, then (after commit) fits the job-title normaliser once and stores it as a
  :class:`~parcours.labour.models.NormaliserArtefact`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models, transaction

from parcours.labour.models import (
    Domain,
    EscoBroader,
    EscoOccupation,
    EscoOccupationSkill,
    EscoSkill,
    IscoGroup,
    JobTitle,
    MobilityLink,
    Occupation,
    OccupationSkill,
    ReferentialVersion,
    RomeEscoMatch,
    RomeItem,
    Taxonomy,
)
from parcours.stats.errors import BadInputError
from parcours.stats.labour import crosswalk, esco, rome

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


@dataclass
class ImportReport:
    """What an import did, or would have done: counts per model and every problem found."""

    taxonomy: str
    source: str
    version: str = ""
    language: str = ""
    issues: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    aborted: bool = False
    referential_id: int | None = None
    artefact_ids: list[int] = field(default_factory=list)
    duration_seconds: float = 0.0
    fit_seconds: float = 0.0

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [i for i in self.issues if i["severity"] == "error"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "taxonomy": self.taxonomy,
            "source": self.source,
            "version": self.version,
            "language": self.language,
            "aborted": self.aborted,
            "referential_id": self.referential_id,
            "artefact_ids": self.artefact_ids,
            "counts": self.counts,
            "errors": len(self.errors),
            "issues": self.issues,
            "duration_seconds": round(self.duration_seconds, 3),
            "fit_seconds": round(self.fit_seconds, 3),
        }


class ImportAborted(Exception):
    """The input has invalid rows and ``skip_invalid`` was not given: nothing was written."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(f"{len(report.errors)} invalid row(s): nothing imported")


def _issue_dict(issue) -> dict[str, Any]:
    return {"file": issue.file, "line": issue.line, "severity": issue.severity, "message": issue.message}


Progress = Callable[[int], None]


def _noop(_n: int) -> None:
    return None


# --------------------------------------------------------------------------- generic upsert


def _chunks(values: list, size: int = BATCH_SIZE) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def upsert(
    model: type[models.Model],
    key: str,
    rows: dict[str, dict[str, Any]],
    fields: list[str],
    *,
    progress: Progress = _noop,
    deactivate: bool = True,
) -> tuple[dict[str, int], dict[str, int]]:
    """Create or update ``model`` rows matched on ``key``; ``rows`` maps key -> field values (use
    attnames for foreign keys: ``occupation_id``). Only changed rows are written. Rows whose key is
    absent are deactivated (``is_active=False``) when ``deactivate``.

    Returns (counts, key -> pk).
    """
    existing: dict[str, tuple[int, tuple]] = {}
    active_field = ["is_active"] if deactivate else []
    for values in model.objects.values_list(key, "pk", *fields, *active_field).iterator(chunk_size=5000):
        existing[values[0]] = (values[1], values[2:])
    to_create, to_update = [], []
    update_fields = [*fields, *active_field]
    for code, values in rows.items():
        wanted = tuple(values[f] for f in fields) + ((True,) if deactivate else ())
        if code in existing:
            pk, current = existing[code]
            if current != wanted:
                to_update.append(model(pk=pk, **{key: code}, **dict(zip(update_fields, wanted, strict=True))))
        else:
            to_create.append(model(**{key: code}, **values))
    for batch in _chunks(to_create):
        model.objects.bulk_create(batch, batch_size=BATCH_SIZE)
        progress(len(batch))
    for batch in _chunks(to_update):
        model.objects.bulk_update(batch, update_fields, batch_size=BATCH_SIZE)
        progress(len(batch))
    deactivated = 0
    if deactivate:
        gone = [pk for code, (pk, current) in existing.items() if code not in rows and current[-1]]
        for batch in _chunks(gone):
            deactivated += model.objects.filter(pk__in=batch).update(is_active=False)
    unchanged = len(rows) - len(to_create) - len(to_update)
    progress(unchanged)
    pks = dict(model.objects.values_list(key, "pk").iterator(chunk_size=5000))
    counts = {"created": len(to_create), "updated": len(to_update), "unchanged": unchanged}
    if deactivate:
        counts["deactivated"] = deactivated
    return counts, pks


def sync_links(
    model: type[models.Model],
    keys: tuple[str, str],
    rows: dict[tuple[int, int], dict[str, Any]],
    fields: list[str],
    *,
    progress: Progress = _noop,
) -> dict[str, int]:
    """Make the link table ``model`` hold exactly ``rows`` ((fk1, fk2) -> values): create the new
    links, update the changed ones, delete those that are gone."""
    existing: dict[tuple[int, int], tuple[int, tuple]] = {}
    for values in model.objects.values_list(*keys, "pk", *fields).iterator(chunk_size=10000):
        existing[values[0], values[1]] = (values[2], values[3:])
    to_create, to_update = [], []
    for pair, values in rows.items():
        wanted = tuple(values[f] for f in fields)
        if pair in existing:
            pk, current = existing[pair]
            if current != wanted:
                to_update.append(model(pk=pk, **dict(zip(keys, pair, strict=True)), **values))
        else:
            to_create.append(model(**dict(zip(keys, pair, strict=True)), **values))
    for batch in _chunks(to_create, 2000):
        model.objects.bulk_create(batch, batch_size=2000)
        progress(len(batch))
    for batch in _chunks(to_update):
        model.objects.bulk_update(batch, fields, batch_size=BATCH_SIZE)
        progress(len(batch))
    gone = [pk for pair, (pk, _) in existing.items() if pair not in rows]
    for batch in _chunks(gone):
        model.objects.filter(pk__in=batch).delete()
    unchanged = len(rows) - len(to_create) - len(to_update)
    progress(unchanged)
    return {
        "created": len(to_create),
        "updated": len(to_update),
        "unchanged": unchanged,
        "deleted": len(gone),
    }


# --------------------------------------------------------------------------- ROME


def rome_row_count(ref: rome.RomeReferential) -> int:
    """Rows written by :func:`write_rome` (for a progress bar's total)."""
    return (
        len(ref.domains)
        + len(ref.occupations)
        + len(ref.job_titles)
        + len(ref.items)
        + len(ref.item_links)
        + len(ref.mobility)
    )


def read_rome_set(directory: str | Path) -> tuple[rome.RomeReferential, ImportReport]:
    """Read and validate a ROME folder; raises BadInputError when the folder is unusable."""
    ref = rome.read_rome(directory)
    report = ImportReport(taxonomy=Taxonomy.ROME, source=str(directory), version=ref.version)
    report.issues = [_issue_dict(i) for i in ref.issues]
    return ref, report


def import_rome(
    directory: str | Path,
    *,
    skip_invalid: bool = False,
    by=None,
    progress: Progress = _noop,
    fit: bool = True,
    on_read: Callable[[rome.RomeReferential], None] | None = None,
) -> ImportReport:
    """Import a ROME 4.0 CSV folder (official set or sample). See the module docstring.

    Raises ``BadInputError`` (folder or required file missing) and :class:`ImportAborted` (invalid
    rows without ``skip_invalid``); in both cases nothing is written.
    """
    started = time.perf_counter()
    ref, report = read_rome_set(directory)
    if on_read is not None:
        on_read(ref)
    if report.errors and not skip_invalid:
        report.aborted = True
        report.duration_seconds = time.perf_counter() - started
        raise ImportAborted(report)
    with transaction.atomic():
        referential = write_rome(ref, report, by=by, progress=progress)
    report.referential_id = referential.pk
    report.duration_seconds = time.perf_counter() - started
    ReferentialVersion.objects.filter(pk=referential.pk).update(duration_seconds=report.duration_seconds)
    logger.info(
        "rome import version=%s referential=%s seconds=%.1f skipped=%s",
        ref.version,
        referential.pk,
        report.duration_seconds,
        len(report.errors),
    )
    if fit:
        from parcours.labour.normalising import fit_artefacts

        fit_started = time.perf_counter()
        report.artefact_ids = [a.pk for a in fit_artefacts(referential)]
        report.fit_seconds = time.perf_counter() - fit_started
    return report


def write_rome(ref: rome.RomeReferential, report: ImportReport, *, by=None, progress: Progress = _noop):
    """All database writes of a ROME import; call inside ``transaction.atomic``."""
    referential = ReferentialVersion.objects.create(
        taxonomy=Taxonomy.ROME,
        version=ref.version,
        language="fr",
        source=Path(report.source).name,
        release=ref.release,
        skipped_rows=len(report.errors),
        imported_by=by,
    )
    counts = report.counts

    # sector tree: grands domaines first (they are the parents)
    grand = {d.code: {"label": d.label, "parent_id": None} for d in ref.domains.values() if not d.parent_code}
    counts["domains"], domain_pks = upsert(Domain, "code", grand, ["label", "parent_id"], deactivate=False)
    pro = {
        d.code: {"label": d.label, "parent_id": domain_pks.get(d.parent_code)}
        for d in ref.domains.values()
        if d.parent_code
    }
    pro_counts, domain_pks = upsert(Domain, "code", pro, ["label", "parent_id"], deactivate=False)
    counts["domains"] = {k: counts["domains"][k] + pro_counts[k] for k in pro_counts}
    progress(len(ref.domains))

    occupation_rows = {
        occ.code: {
            "code_ogr": occ.ogr_code,
            "label": occ.label,
            "definition": occ.definition,
            "access": occ.access,
            "domain_id": domain_pks.get(occ.domain_code),
            "parent_code": occ.parent_code,
            "is_regulated": occ.is_regulated,
            "is_executive": occ.is_executive,
            "referential_id": referential.pk,
        }
        for occ in ref.occupations.values()
    }
    counts["occupations"], occupation_pks = upsert(
        Occupation,
        "rome_code",
        occupation_rows,
        list(next(iter(occupation_rows.values()), {})),
        progress=progress,
    )

    title_rows = {
        t.ogr_code: {
            "label": t.label,
            "short_label": t.short_label,
            "occupation_id": occupation_pks[t.rome_code],
            "is_main": t.is_main,
            "is_rare": t.is_rare,
        }
        for t in ref.job_titles
        if t.rome_code in occupation_pks
    }
    counts["job_titles"], _ = upsert(
        JobTitle,
        "code_ogr",
        title_rows,
        ["label", "short_label", "occupation_id", "is_main", "is_rare"],
        progress=progress,
    )

    item_rows = {
        i.ogr_code: {"label": i.label, "kind": i.kind, "category": i.category, "subcategory": i.subcategory}
        for i in ref.items.values()
    }
    counts["items"], item_pks = upsert(
        RomeItem, "code_ogr", item_rows, ["label", "kind", "category", "subcategory"], progress=progress
    )

    link_rows: dict[tuple[int, int], dict[str, Any]] = {}
    for link in ref.item_links:
        occ, item = occupation_pks.get(link.rome_code), item_pks.get(link.item_code)
        if occ is not None and item is not None:
            link_rows[occ, item] = {"core_label": link.core}
    counts["occupation_skills"] = sync_links(
        OccupationSkill, ("occupation_id", "item_id"), link_rows, ["core_label"], progress=progress
    )

    mobility_rows: dict[tuple[int, int], dict[str, Any]] = {}
    for link in ref.mobility:
        source, target = occupation_pks.get(link.source), occupation_pks.get(link.target)
        if source is not None and target is not None and source != target:
            mobility_rows[source, target] = {"rank": link.rank, "kind": MobilityLink.Kind.MOBILITY}
    counts["mobility"] = sync_links(
        MobilityLink, ("source_id", "target_id"), mobility_rows, ["rank", "kind"], progress=progress
    )

    referential.counts = {
        "occupations": len(occupation_rows),
        "job_titles": len(title_rows),
        "items": len(item_rows),
        "occupation_skills": len(link_rows),
        "mobility": len(mobility_rows),
        "domains": len(ref.domains),
    }
    referential.save(update_fields=["counts"])
    return referential


# --------------------------------------------------------------------------- ESCO


def import_esco(
    path: str | Path,
    *,
    language: str | None = None,
    skip_invalid: bool = False,
    by=None,
    progress: Progress = _noop,
    fit: bool = True,
    mapping: str | Path | None = None,
) -> ImportReport:
    """Import an ESCO export: an ``occupations_<lang>.csv`` file, or the folder of the ESCO CSV
    download — occupations, then when present skills and skill groups (``skills_<lang>.csv``,
    ``skillGroups_<lang>.csv``), the two hierarchies (``broaderRelations*Pillar.csv``) and the
    occupation–skill relations (``occupationSkillRelations*.csv``) — and, when ``mapping`` names
    it, the ROME ↔ ESCO crosswalk (:func:`read_crosswalk`), which fills ``Occupation.esco_uri``.
    Labels of other languages already imported are kept: each language's labels live under its
    own key. Every file is read and checked before anything is written; any invalid row aborts
    the whole import unless ``skip_invalid``."""
    started = time.perf_counter()
    path = Path(path)
    folder = path if path.is_dir() else None
    if folder is not None:
        path = _esco_occupations_file(folder, language)
    if not path.is_file():
        raise BadInputError(f"ESCO file not found: {path}")
    lang = (language or esco.language_of(path)).lower()
    if not lang:
        raise BadInputError(f"{path.name}: cannot tell the language from the file name; give --lang")
    data = esco.read_esco_occupations(path)
    # the ESCO CSV export does not name its version; the newest modifiedDate stands for it
    version = (
        max((o.modified_date[:10] for o in data.occupations if o.modified_date), default="") or "unknown"
    )
    report = ImportReport(taxonomy=Taxonomy.ESCO, source=str(folder or path), version=version, language=lang)
    issues = list(data.issues)
    extra = _read_esco_folder(folder, lang, data, issues) if folder is not None else None
    links = None
    if mapping is not None:
        known = {o.uri for o in data.occupations} | set(EscoOccupation.objects.values_list("uri", flat=True))
        links = read_crosswalk(mapping, known, issues)
    report.issues = [_issue_dict(i) for i in issues]
    if report.errors and not skip_invalid:
        report.aborted = True
        report.duration_seconds = time.perf_counter() - started
        raise ImportAborted(report)
    with transaction.atomic():
        referential = write_esco(data, report, by=by, progress=progress)
        if extra is not None:
            write_esco_skills(extra, referential, report, progress=progress)
        if links is not None:
            write_crosswalk(links, report)
    report.referential_id = referential.pk
    report.duration_seconds = time.perf_counter() - started
    ReferentialVersion.objects.filter(pk=referential.pk).update(duration_seconds=report.duration_seconds)
    logger.info(
        "esco import language=%s referential=%s seconds=%.1f",
        lang,
        referential.pk,
        report.duration_seconds,
    )
    if fit:
        from parcours.labour.normalising import fit_artefacts

        fit_started = time.perf_counter()
        report.artefact_ids = [a.pk for a in fit_artefacts(referential)]
        report.fit_seconds = time.perf_counter() - fit_started
    return report


def _esco_occupations_file(folder: Path, language: str | None) -> Path:
    """The ``occupations_<lang>.csv`` of an ESCO download folder (``language`` picks one when the
    folder holds several languages)."""
    if language:
        return folder / f"occupations_{language.lower()}.csv"
    found = sorted(folder.glob("occupations_*.csv"))
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise BadInputError(f"{folder}: expected one occupations_<lang>.csv (found {names}); give --lang")
    return found[0]


@dataclass
class EscoExtra:
    """What an ESCO folder holds beside the occupations."""

    concepts: list = field(default_factory=list)  # esco.EscoConcept (skills and skill groups)
    isco_groups: list = field(default_factory=list)  # esco.EscoConcept (ISCO groups)
    broader: list = field(default_factory=list)  # (pillar, esco.BroaderRelation)
    relations: list = field(default_factory=list)  # esco.OccupationSkill
    files: list[str] = field(default_factory=list)


BROADER_FILES = {"broaderRelationsOccPillar.csv": "occupation", "broaderRelationsSkillPillar.csv": "skill"}


def _read_esco_folder(folder: Path, lang: str, data, issues: list) -> EscoExtra:
    """Read and check every other file of the folder (nothing written). Relations must name an
    occupation of the occupations file and a skill of the skills file (or already imported)."""
    extra = EscoExtra()
    for stem, types in (("skills", ("KnowledgeSkillCompetence",)), ("skillGroups", ("SkillGroup",))):
        file = folder / f"{stem}_{lang}.csv"
        if file.is_file():
            extra.concepts.extend(esco.iter_esco_concepts(file, types, issues))
            extra.files.append(file.name)
    isco_file = folder / f"ISCOGroups_{lang}.csv"
    if isco_file.is_file():
        extra.isco_groups.extend(esco.iter_esco_concepts(isco_file, ("ISCOGroup",), issues))
        extra.files.append(isco_file.name)
    for name, pillar in BROADER_FILES.items():
        if (folder / name).is_file():
            extra.broader.extend((pillar, r) for r in esco.iter_broader_relations(folder / name, issues))
            extra.files.append(name)
    occupations = {o.uri for o in data.occupations} | set(
        EscoOccupation.objects.values_list("uri", flat=True)
    )
    skills = {c.uri for c in extra.concepts if c.concept_type == "KnowledgeSkillCompetence"}
    skills |= set(
        EscoSkill.objects.filter(concept_type=EscoSkill.ConceptType.SKILL).values_list("uri", flat=True)
    )
    for file in sorted(folder.glob("occupationSkillRelations*.csv")):
        extra.files.append(file.name)
        for relation in esco.iter_occupation_skills(file, issues):
            if relation.occupation_uri not in occupations:
                problem = f"occupationUri {relation.occupation_uri} is not an imported occupation"
            elif relation.skill_uri not in skills:
                problem = f"skillUri {relation.skill_uri} is not an imported skill"
            else:
                extra.relations.append(relation)
                continue
            issues.append(rome.Issue(file.name, relation.line, problem))
    return extra


def write_esco(data, report: ImportReport, *, by=None, progress: Progress = _noop) -> ReferentialVersion:
    """All database writes of an ESCO import (``data`` as read by the science core's
    ``read_esco_occupations``); call inside ``transaction.atomic``."""
    lang = report.language
    referential = ReferentialVersion.objects.create(
        taxonomy=Taxonomy.ESCO,
        version=report.version,
        language=lang,
        source=Path(report.source).name,
        skipped_rows=len(report.errors),
        imported_by=by,
    )
    current = {
        uri: (labels, alt, desc)
        for uri, labels, alt, desc in EscoOccupation.objects.values_list(
            "uri", "labels", "alt_labels", "descriptions"
        )
    }
    rows: dict[str, dict[str, Any]] = {}
    for occ in data.occupations:
        labels, alt, desc = current.get(occ.uri, ({}, {}, {}))
        rows[occ.uri] = {
            "code": occ.code,
            "isco_group": occ.isco_group,
            "labels": {**labels, lang: occ.preferred_label},
            "alt_labels": {**alt, lang: list(occ.alt_labels)},
            "descriptions": {**desc, lang: occ.description},
            "referential_id": referential.pk,
        }
    counts, _ = upsert(
        EscoOccupation,
        "uri",
        rows,
        ["code", "isco_group", "labels", "alt_labels", "descriptions", "referential_id"],
        progress=progress,
    )
    report.counts["esco_occupations"] = counts
    referential.counts = {"esco_occupations": len(rows)}
    referential.save(update_fields=["counts"])
    return referential


def write_esco_skills(
    extra: EscoExtra, referential: ReferentialVersion, report: ImportReport, *, progress=_noop
):
    """Database writes of an ESCO folder beside the occupations (inside the import's transaction):
    skills and skill groups upserted on their URI (this language's labels added to the others),
    hierarchy links and occupation–skill relations made equal to the files' (a file absent from
    the folder leaves its table as it was)."""
    lang = report.language
    sizes = {"esco_skills": len(extra.concepts)}
    sizes.update(
        {f"esco_broader_{p}": sum(1 for q, _r in extra.broader if q == p) for p in EscoBroader.Pillar}
    )
    if extra.concepts:
        current = {
            uri: (labels, alt, desc)
            for uri, labels, alt, desc in EscoSkill.objects.values_list(
                "uri", "labels", "alt_labels", "descriptions"
            )
        }
        rows: dict[str, dict[str, Any]] = {}
        for concept in extra.concepts:
            labels, alt, desc = current.get(concept.uri, ({}, {}, {}))
            rows[concept.uri] = {
                "concept_type": concept.concept_type,
                "skill_type": concept.skill_type,
                "reuse_level": concept.reuse_level,
                "code": concept.code,
                "labels": {**labels, lang: concept.preferred_label},
                "alt_labels": {**alt, lang: list(concept.alt_labels)},
                "descriptions": {**desc, lang: concept.description},
                "referential_id": referential.pk,
            }
        fields = ["concept_type", "skill_type", "reuse_level", "code", "labels", "alt_labels", "descriptions",
                  "referential_id"]  # fmt: skip
        report.counts["esco_skills"], _ = upsert(EscoSkill, "uri", rows, fields, progress=progress)
    if extra.isco_groups:
        current_isco = dict(IscoGroup.objects.values_list("uri", "labels"))
        isco_rows = {
            group.uri: {
                "code": group.code,
                "labels": {**current_isco.get(group.uri, {}), lang: group.preferred_label},
                "referential_id": referential.pk,
            }
            for group in extra.isco_groups
        }
        sizes["isco_groups"] = len(isco_rows)
        report.counts["isco_groups"], _ = upsert(
            IscoGroup, "uri", isco_rows, ["code", "labels", "referential_id"], progress=progress
        )
    for pillar in {p for p, _r in extra.broader}:
        wanted = {(r.uri, r.broader_uri) for p, r in extra.broader if p == pillar}
        report.counts[f"esco_broader_{pillar}"] = _replace_pairs(
            EscoBroader.objects.filter(pillar=pillar),
            ("uri", "broader_uri"),
            wanted,
            lambda pair, pillar=pillar: EscoBroader(pillar=pillar, uri=pair[0], broader_uri=pair[1]),
        )
    if any(name.startswith("occupationSkillRelations") for name in extra.files):
        occupation_ids = dict(EscoOccupation.objects.values_list("uri", "pk"))
        skill_ids = dict(EscoSkill.objects.values_list("uri", "pk"))
        relation = {
            (occupation_ids[r.occupation_uri], skill_ids[r.skill_uri]): r.relation_type
            for r in extra.relations
        }
        links = EscoOccupationSkill.objects.all()
        counts = _replace_pairs(
            links,
            ("occupation_id", "skill_id"),
            set(relation),
            lambda pair: EscoOccupationSkill(
                occupation_id=pair[0], skill_id=pair[1], relation=relation[pair]
            ),
        )
        changed = [
            EscoOccupationSkill(pk=pk, relation=relation[(o, s)])
            for pk, o, s, current in links.values_list("pk", "occupation_id", "skill_id", "relation")
            if (o, s) in relation and relation[(o, s)] != current
        ]
        EscoOccupationSkill.objects.bulk_update(changed, ["relation"], batch_size=BATCH_SIZE)
        counts["updated"] = len(changed)
        counts["unchanged"] -= len(changed)
        report.counts["esco_occupation_skills"] = counts
    sizes["esco_occupation_skills"] = len(extra.relations)
    referential.counts = {**referential.counts, **{k: v for k, v in sizes.items() if k in report.counts}}
    referential.save(update_fields=["counts"])


def _replace_pairs(queryset, fields: tuple[str, str], wanted: set[tuple], build) -> dict[str, int]:
    """Make the (a, b) pairs of ``queryset`` equal to ``wanted``: create the missing ones (built by
    ``build(pair)``), delete the others. Returns created / deleted / unchanged counts."""
    existing = {(a, b): pk for a, b, pk in queryset.values_list(*fields, "pk")}
    missing = [build(pair) for pair in wanted if pair not in existing]
    gone = [pk for pair, pk in existing.items() if pair not in wanted]
    for batch in _chunks(missing):
        queryset.model.objects.bulk_create(batch, batch_size=BATCH_SIZE)
    deleted = 0
    for batch in _chunks(gone):
        deleted += queryset.model.objects.filter(pk__in=batch).delete()[0]
    return {"created": len(missing), "deleted": deleted, "unchanged": len(wanted) - len(missing)}


# --------------------------------------------------------------------------- ROME <-> ESCO


@dataclass(frozen=True, slots=True)
class ResolvedLink:
    """A crosswalk row checked against the referentials: database ids and the fiche's code."""

    link: crosswalk.CrosswalkLink  # rome_code filled from the job title when the row gave none
    occupation_id: int
    job_title_id: int | None


def read_crosswalk(path: str | Path, esco_uris: set[str], issues: list) -> list[ResolvedLink]:
    """Read a ROME ↔ ESCO crosswalk (parcours.stats.labour.crosswalk) and check every row against
    the imported ROME (fiche codes, job-title OGR codes, a job title of the fiche the row names)
    and ``esco_uris``; problems go to ``issues`` with their line. Nothing is written."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"crosswalk file not found: {path}")
    occupations = dict(Occupation.objects.values_list("rome_code", "pk"))
    if not occupations:
        raise BadInputError(
            f"{path.name}: no ROME referential imported; run parcours labour import-rome first"
        )
    titles = {
        ogr: (pk, code)
        for ogr, pk, code in JobTitle.objects.values_list("code_ogr", "pk", "occupation__rome_code")
    }
    resolved: list[ResolvedLink] = []
    for link in crosswalk.iter_crosswalk(path, issues):
        problems = []
        title_id = None
        rome_code = link.rome_code
        if link.code_ogr:
            if link.code_ogr not in titles:
                problems.append(f"OGR code {link.code_ogr} is not a job title of the imported ROME")
            else:
                title_id, title_code = titles[link.code_ogr]
                if rome_code and rome_code != title_code:
                    problems.append(
                        f"OGR code {link.code_ogr} is a job title of {title_code}, not of {rome_code}"
                    )
                rome_code = title_code
        if rome_code and rome_code not in occupations:
            problems.append(f"ROME code {rome_code} is not in the imported ROME")
        if link.esco_uri not in esco_uris:
            problems.append(f"{link.esco_uri} is not an imported ESCO occupation")
        if problems:
            issues.extend(rome.Issue(path.name, link.line, p) for p in problems)
            continue
        link = crosswalk.CrosswalkLink(rome_code, link.esco_uri, link.relation, link.code_ogr, link.line)
        resolved.append(ResolvedLink(link, occupations[rome_code], title_id))
    return resolved


def write_crosswalk(links: list[ResolvedLink], report: ImportReport) -> None:
    """Make the stored crosswalk equal to ``links`` (inside the import's transaction), then set
    each fiche's ``esco_uri`` to its chosen link (crosswalk.choose_per_fiche) and clear it on the
    fiches the crosswalk no longer names."""
    esco_ids = dict(EscoOccupation.objects.values_list("uri", "pk"))
    wanted = {(r.occupation_id, r.job_title_id, esco_ids[r.link.esco_uri]): r.link.relation for r in links}
    existing = {
        (o, t, e): (pk, relation)
        for pk, o, t, e, relation in RomeEscoMatch.objects.values_list(
            "pk", "occupation_id", "job_title_id", "esco_occupation_id", "relation"
        )
    }
    missing = [
        RomeEscoMatch(occupation_id=o, job_title_id=t, esco_occupation_id=e, relation=wanted[o, t, e])
        for (o, t, e) in wanted
        if (o, t, e) not in existing
    ]
    changed = [
        RomeEscoMatch(pk=pk, relation=wanted[key])
        for key, (pk, relation) in existing.items()
        if key in wanted and wanted[key] != relation
    ]
    gone = [pk for key, (pk, _relation) in existing.items() if key not in wanted]
    RomeEscoMatch.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    RomeEscoMatch.objects.bulk_update(changed, ["relation"], batch_size=BATCH_SIZE)
    for batch in _chunks(gone):
        RomeEscoMatch.objects.filter(pk__in=batch).delete()
    counts = {
        "created": len(missing),
        "updated": len(changed),
        "deleted": len(gone),
        "unchanged": len(wanted) - len(missing) - len(changed),
    }
    report.counts["rome_esco_links"] = counts
    main_titles = dict(JobTitle.objects.filter(is_main=True).values_list("occupation__rome_code", "code_ogr"))
    chosen = crosswalk.choose_per_fiche([r.link for r in links], main_titles)
    updates = [
        Occupation(pk=pk, esco_uri=chosen.get(code, ""))
        for pk, code, current in Occupation.objects.values_list("pk", "rome_code", "esco_uri")
        if chosen.get(code, "") != current
    ]
    Occupation.objects.bulk_update(updates, ["esco_uri"], batch_size=BATCH_SIZE)
    report.counts["occupations_esco_uri"] = {
        "updated": len(updates),
        "unchanged": len(chosen) - sum(1 for u in updates if u.esco_uri),
    }
