"""JSON API: occupations (search, detail), job-title normalisation, and the career project of an
episode (targets, work placements). Same rules as the pages: episodes through access.episode_for (404),
changes by the episode's organisation only (403), through parcours/labour/actions.py, reads of a
career project logged with access.log_read."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status as HttpStatus

from parcours.cases import access
from parcours.labour import actions
from parcours.labour.esco_links import esco_matches, rome_matches
from parcours.labour.models import (
    CareerProject,
    EscoOccupation,
    Occupation,
    TargetOccupation,
    Taxonomy,
    WorkPlacement,
)
from parcours.labour.normalising import NoReferential, get_normaliser, search_occupations
from parcours.labour.skills import neighbours, occupation_gaps, skill_profile

router = Router(tags=["métiers et projet professionnel"])

MAX_ID = 2**63 - 1
MAX_ESCO_SKILLS = 500


class OccupationOut(Schema):
    rome_code: str
    label: str
    is_active: bool
    score: float | None = None


class SkillOut(Schema):
    code: str
    label: str
    kind: str
    is_core: bool
    is_held: bool


class EscoMatchOut(Schema):
    uri: str
    label: str
    relation: str  # SKOS: exactMatch, closeMatch, narrowMatch, broadMatch, relatedMatch, "" (unspecified)
    job_title: str  # the job title the link was made for ("" for the fiche)
    is_chosen: bool  # the link that stands for the fiche (esco_uri)
    essential_skills: list[str]
    optional_skills: list[str]


class OccupationDetailOut(OccupationOut):
    definition: str
    access: str
    esco_uri: str
    esco: list[EscoMatchOut]
    skills: list[SkillOut]
    neighbours: list[OccupationOut]


class RomeMatchOut(OccupationOut):
    relation: str
    job_title: str
    skills: list[SkillOut]


class EscoOccupationOut(Schema):
    uri: str
    label: str
    isco_group: str
    rome: list[RomeMatchOut]


class NormaliseIn(Schema):
    titles: list[str] = Field(..., min_length=1, max_length=500)
    taxonomy: Literal["rome", "esco"] = "rome"
    lang: str = Field("fr", max_length=8)
    top: int = Field(5, ge=1, le=50)


class OccupationMatchOut(Schema):
    code: str
    label: str
    score: float


class NormaliseOut(Schema):
    query: str
    results: list[OccupationMatchOut]


def _occupation(o: Occupation, score: float | None = None) -> dict:
    return {"rome_code": o.rome_code, "label": o.label, "is_active": o.is_active, "score": score}


@router.get("/occupations", response=list[OccupationOut])
def list_occupations(request, q: str = Query("", max_length=200)):
    """Free-text search through the stored normaliser (20 best), or the first 100 occupations."""
    if q.strip():
        results, _used = search_occupations(q.strip())
        return [_occupation(o, score) for o, score in results]
    return [_occupation(o) for o in Occupation.objects.active().order_by("rome_code")[:100]]


@router.get("/occupations/{rome_code}", response=OccupationDetailOut)
def get_occupation(request, rome_code: str):
    occupation = get_object_or_404(Occupation, rome_code=rome_code.upper()[:5])
    gaps = occupation_gaps(occupation, set())
    return {
        **_occupation(occupation),
        "definition": occupation.definition,
        "access": occupation.access,
        "esco_uri": occupation.esco_uri,
        "esco": [
            {
                "uri": m.uri,
                "label": m.label,
                "relation": m.relation,
                "job_title": m.via,
                "is_chosen": m.is_chosen,
                "essential_skills": m.essential,
                "optional_skills": m.optional,
            }
            for m in esco_matches(occupation, limit=MAX_ESCO_SKILLS)
        ],
        "skills": _skills(gaps),
        "neighbours": [_occupation(link.target) for link in neighbours(occupation)],
    }


def _skills(gaps) -> list[dict]:
    return [
        {"code": s.code, "label": s.label, "kind": s.kind_label, "is_core": s.is_core, "is_held": False}
        for s in gaps.required
    ]


@router.get("/esco/occupation", response=EscoOccupationOut)
def get_esco_occupation(request, uri: str = Query(..., max_length=300)):
    """An ESCO occupation with the ROME fiches the imported crosswalk links it to, and their ROME
    skills: the way ROME skills travel to an ESCO occupation (404 for a URI not imported)."""
    esco = get_object_or_404(EscoOccupation, uri=uri)
    language = (get_language() or "fr")[:2]
    return {
        "uri": esco.uri,
        "label": esco.label(language),
        "isco_group": esco.isco_group,
        "rome": [
            {
                **_occupation(match.occupation),
                "relation": match.relation,
                "job_title": match.job_title.label if match.job_title else "",
                "skills": _skills(occupation_gaps(match.occupation, set())),
            }
            for match in rome_matches(esco)
        ],
    }


@router.post("/normalise", response=list[NormaliseOut])
def normalise(request, payload: NormaliseIn):
    """Job titles -> ranked ROME codes (or ESCO URIs), with the stored artefact (never refitted here)."""
    lang = payload.lang if payload.taxonomy == Taxonomy.ESCO else "fr"
    try:
        normaliser, _artefact = get_normaliser(payload.taxonomy, language=lang)
    except NoReferential as exc:
        raise HttpError(409, f"no {payload.taxonomy} referential loaded") from exc
    results = normaliser.query_batch([t[:300] for t in payload.titles], top=payload.top)
    return [
        {"query": t, "results": [{"code": m.code, "label": m.label, "score": m.score} for m in matches]}
        for t, matches in zip(payload.titles, results, strict=True)
    ]


# --------------------------------------------------------------------------- career project


class PlacementOut(Schema):
    id: int
    objective: str
    rome_code: str
    host_name: str
    host_establishment: str
    starts_on: datetime.date
    ends_on: datetime.date
    host_score: int | None
    host_comment: str
    person_score: int | None
    person_comment: str
    assessed_at: datetime.datetime | None
    version: int


class TargetOut(Schema):
    id: int
    rome_code: str
    label: str
    status: str
    evidence: str
    placement_ids: list[int]
    decided_at: datetime.datetime | None
    version: int


class EscoSkillMatchOut(Schema):
    uri: str
    label: str
    score: float


class PersonSkillOut(Schema):
    label: str
    source: str
    informal: bool = Field(
        description="learnt outside work and training (volunteering, family, hobbies, other)"
    )
    items: list[OccupationMatchOut]
    esco_skills: list[EscoSkillMatchOut] = Field(
        description="ESCO skills matched (empty unless an ESCO export with its skills was imported)"
    )


class ProjectOut(Schema):
    episode: uuid.UUID
    declared_skills: list[str]
    skills: list[PersonSkillOut]
    targets: list[TargetOut]
    placements: list[PlacementOut]
    version: int


class SkillsIn(Schema):
    skills: list[str] = Field(..., max_length=100)
    version: int = Field(..., ge=1)


class TargetIn(Schema):
    rome_code: str = Field(..., max_length=5)
    status: Literal["to_explore", "discovered"] = "to_explore"


class DecisionIn(Schema):
    status: Literal["to_explore", "confirmed", "revised", "discovered"]
    evidence: str = Field("", max_length=5000)
    placement_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=50)
    version: int = Field(..., ge=1)


class PlacementIn(Schema):
    objective: Literal["confirm", "discover"]
    rome_code: str = Field(..., max_length=5)
    host_name: str = Field(..., min_length=1, max_length=200)
    host_establishment: str = Field("", max_length=300)
    starts_on: datetime.date
    ends_on: datetime.date


class AssessmentIn(Schema):
    host_score: int | None = Field(None, ge=1, le=5)
    host_comment: str = Field("", max_length=5000)
    person_score: int | None = Field(None, ge=1, le=5)
    person_comment: str = Field("", max_length=5000)
    version: int = Field(..., ge=1)


def _placement(p: WorkPlacement) -> dict:
    return {
        "id": p.pk,
        "objective": p.objective,
        "rome_code": p.occupation.rome_code,
        "host_name": p.host_name,
        "host_establishment": p.host_establishment,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "host_score": p.host_score,
        "host_comment": p.host_comment,
        "person_score": p.person_score,
        "person_comment": p.person_comment,
        "assessed_at": p.assessed_at,
        "version": p.version,
    }


def _target(t: TargetOccupation) -> dict:
    return {
        "id": t.pk,
        "rome_code": t.occupation.rome_code,
        "label": t.occupation.label,
        "status": t.status,
        "evidence": t.evidence,
        "placement_ids": [p.pk for p in t.evidence_placements.all()],
        "decided_at": t.decided_at,
        "version": t.version,
    }


def _project_out(project: CareerProject) -> dict:
    profile = skill_profile(project)
    targets = project.targets.select_related("occupation").prefetch_related("evidence_placements")
    return {
        "episode": project.episode.public_id,
        "declared_skills": project.declared_skills,
        "skills": [
            {
                "label": s.label,
                "source": s.source,
                "informal": s.is_informal,
                "items": [{"code": c, "label": label, "score": score} for c, label, score in s.matches],
                "esco_skills": [
                    {"uri": u, "label": label, "score": score} for u, label, score in s.esco_matches
                ],
            }
            for s in profile.skills
        ],
        "targets": [_target(t) for t in targets],
        "placements": [_placement(p) for p in project.placements.select_related("occupation")],
        "version": project.version,
    }


def _project(request, public_id: uuid.UUID, *, change: bool) -> CareerProject:
    episode = access.episode_for(request.auth, public_id)
    if change:
        access.require_manage(request.auth, episode)
    project = get_object_or_404(CareerProject.objects.select_related("episode"), episode=episode)
    project.episode = episode
    return project


def _active_occupation(rome_code: str) -> Occupation:
    occupation = Occupation.objects.active().filter(rome_code=rome_code.upper()).first()
    if occupation is None:
        raise HttpError(400, f"no occupation in force with ROME code {rome_code}")
    return occupation


@router.get("/episodes/{public_id}/career-project", response=ProjectOut)
def get_career_project(request, public_id: uuid.UUID):
    project = _project(request, public_id, change=False)
    access.log_read(project.episode.person, user=request.auth, route="api:labour:career_project")
    return _project_out(project)


@router.post("/episodes/{public_id}/career-project", response={200: ProjectOut, 201: ProjectOut})
def start_career_project(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(request.auth, episode)
    existed = CareerProject.objects.filter(episode=episode).exists()
    project = actions.start_career_project(episode, by=request.auth)
    return HttpStatus(200 if existed else 201, _project_out(project))


@router.put("/episodes/{public_id}/career-project/skills", response=ProjectOut)
def update_skills(request, public_id: uuid.UUID, payload: SkillsIn):
    project = _project(request, public_id, change=True)
    project = actions.update_declared_skills(
        project, by=request.auth, skills=payload.skills, expected_version=payload.version
    )
    return _project_out(project)


@router.post("/episodes/{public_id}/career-project/targets", response={201: TargetOut})
def add_target(request, public_id: uuid.UUID, payload: TargetIn):
    project = _project(request, public_id, change=True)
    target = actions.add_target_occupation(
        project, by=request.auth, occupation=_active_occupation(payload.rome_code), status=payload.status
    )
    return HttpStatus(201, _target(target))


def _get_target(project: CareerProject, target_id: int) -> TargetOccupation:
    if not 1 <= target_id <= MAX_ID:
        raise HttpError(404, "not found")
    return get_object_or_404(
        TargetOccupation.objects.select_related("occupation"), project=project, pk=target_id
    )


@router.post("/episodes/{public_id}/career-project/targets/{target_id}/decision", response=TargetOut)
def decide_target(request, public_id: uuid.UUID, target_id: int, payload: DecisionIn):
    project = _project(request, public_id, change=True)
    target = _get_target(project, target_id)
    placements = list(WorkPlacement.objects.filter(project=project, pk__in=payload.placement_ids))
    if len(placements) != len(set(payload.placement_ids)):
        raise HttpError(400, "unknown work placement for this project")
    target = actions.decide_target_occupation(
        target,
        by=request.auth,
        status=payload.status,
        evidence=payload.evidence,
        placements=placements,
        expected_version=payload.version,
    )
    return _target(target)


@router.delete("/episodes/{public_id}/career-project/targets/{target_id}", response={204: None})
def remove_target(request, public_id: uuid.UUID, target_id: int):
    project = _project(request, public_id, change=True)
    actions.remove_target_occupation(_get_target(project, target_id), by=request.auth)
    return HttpStatus(204, None)


@router.post("/episodes/{public_id}/career-project/placements", response={201: PlacementOut})
def plan_placement(request, public_id: uuid.UUID, payload: PlacementIn):
    project = _project(request, public_id, change=True)
    placement = actions.plan_work_placement(
        project,
        by=request.auth,
        objective=payload.objective,
        occupation=_active_occupation(payload.rome_code),
        host_name=payload.host_name,
        host_establishment=payload.host_establishment,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return HttpStatus(201, _placement(placement))


@router.post(
    "/episodes/{public_id}/career-project/placements/{placement_id}/assessment", response=PlacementOut
)
def assess_placement(request, public_id: uuid.UUID, placement_id: int, payload: AssessmentIn):
    project = _project(request, public_id, change=True)
    if not 1 <= placement_id <= MAX_ID:
        raise HttpError(404, "not found")
    placement = get_object_or_404(
        WorkPlacement.objects.select_related("occupation"), project=project, pk=placement_id
    )
    placement = actions.assess_work_placement(
        placement,
        by=request.auth,
        host_score=payload.host_score,
        host_comment=payload.host_comment,
        person_score=payload.person_score,
        person_comment=payload.person_comment,
        expected_version=payload.version,
    )
    return _placement(placement)
