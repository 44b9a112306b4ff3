"""The ROME ↔ ESCO crosswalk as read by pages and the API: the ESCO occupations a ROME fiche
corresponds to (imported with ``parcours labour import-esco … --mapping FILE``), and the ESCO
skills that travel with them when the ESCO occupation–skill relations are imported. Two queries
whatever the number of links."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import get_language

from parcours.labour.models import EscoOccupation, EscoOccupationSkill, EscoSkill, Occupation, RomeEscoMatch

#: ESCO skills listed per matched occupation (the essential ones first); the others are counted
SKILL_LIMIT = 12


@dataclass
class EscoMatchView:
    uri: str
    label: str
    language: str  # of the labels shown (the one asked for when imported, else another)
    relation: str
    relation_label: str
    via: str  # the job title the link was made for ("" for the fiche itself)
    is_chosen: bool  # the link that stands for the fiche (Occupation.esco_uri)
    essential: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    more: int = 0  # skills beyond SKILL_LIMIT


def _language() -> str:
    return (get_language() or "fr")[:2]


def esco_matches(
    occupation: Occupation, *, language: str | None = None, limit: int = SKILL_LIMIT
) -> list[EscoMatchView]:
    """The fiche's ESCO links, the chosen one first, then by relation strength and label; each
    with the labels of its ESCO skills (in ``language`` when imported in it)."""
    language = language or _language()
    matches = list(
        RomeEscoMatch.objects.filter(occupation=occupation).select_related("esco_occupation", "job_title")
    )
    if not matches:
        return []
    skills: dict[int, list[tuple[str, str]]] = {}
    links = (
        EscoOccupationSkill.objects.filter(
            occupation_id__in={m.esco_occupation_id for m in matches},
            skill__concept_type=EscoSkill.ConceptType.SKILL,
        )
        .select_related("skill")
        .order_by("occupation_id", "relation", "skill__uri")
    )
    for link in links:
        skills.setdefault(link.occupation_id, []).append((link.relation, link.skill.label(language)))
    order = [value for value, _label in RomeEscoMatch.Relation.choices]
    views = []
    for match in matches:
        esco = match.esco_occupation
        held = skills.get(esco.pk, [])
        essential = sorted(
            label for relation, label in held if relation == EscoOccupationSkill.Relation.ESSENTIAL
        )
        optional = sorted(
            label for relation, label in held if relation != EscoOccupationSkill.Relation.ESSENTIAL
        )
        shown_essential = essential[:limit]
        shown_optional = optional[: max(0, limit - len(shown_essential))]
        views.append(
            EscoMatchView(
                uri=esco.uri,
                label=esco.label(language),
                language=language if language in esco.labels else next(iter(esco.labels), language),
                relation=match.relation,
                relation_label=str(match.get_relation_display()),
                via=match.job_title.label if match.job_title else "",
                is_chosen=esco.uri == occupation.esco_uri and match.job_title is None,
                essential=shown_essential,
                optional=shown_optional,
                more=len(held) - len(shown_essential) - len(shown_optional),
            )
        )
    if occupation.esco_uri and not any(v.is_chosen for v in views):
        for view in views:  # the fiche's link came from a job title
            if view.uri == occupation.esco_uri:
                view.is_chosen = True
                break
    views.sort(key=lambda v: (not v.is_chosen, order.index(v.relation), v.via, v.label))
    return views


def rome_matches(esco: EscoOccupation) -> list[RomeEscoMatch]:
    """The crosswalk's links from ROME fiches (or their job titles) to ``esco``, strongest first."""
    order = [value for value, _label in RomeEscoMatch.Relation.choices]
    matches = RomeEscoMatch.objects.filter(esco_occupation=esco).select_related("occupation", "job_title")
    return sorted(
        matches, key=lambda m: (order.index(m.relation), m.occupation.rome_code, m.job_title_id or 0)
    )
