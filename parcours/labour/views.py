"""Occupation pages (search through the normaliser, detail) and the career project of an episode.

Career project pages: the episode is read through access.episodes(user)
(404 otherwise) and every read is logged with access.log_read; changes need a counselor or manager of
the episode's organisation (403 for follow-up members of other organisations) and go through
parcours/labour/actions.py. On bad input the page is rendered again with the typed values and
errors (400), on a concurrent edit with a clear message (409).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.cases import access
from parcours.cases.locking import ConcurrentEditError
from parcours.cases.models import SupportEpisode
from parcours.labour import actions
from parcours.labour.esco_links import esco_matches
from parcours.labour.forms import (
    AddTargetForm,
    AssessPlacementForm,
    DecideTargetForm,
    DeclaredSkillsForm,
    OccupationSearchForm,
    PlacementForm,
)
from parcours.labour.models import CareerProject, JobTitle, Occupation, TargetOccupation, WorkPlacement
from parcours.labour.normalising import search_occupations
from parcours.labour.skills import (
    esco_gaps,
    neighbours,
    occupation_gaps,
    skill_profile,
    suggest_from_esco,
    suggest_occupations,
)

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- occupations


# Inputs of the career project forms whose typing asks for suggestions (htmx, HX-Trigger-Name).
SUGGESTING_INPUTS = {"add-occupation", "placement-occupation"}
SUGGESTIONS = 8


def occupation_search(request: HttpRequest) -> HttpResponse:
    trigger = request.htmx.trigger_name if request.htmx else None
    if trigger in SUGGESTING_INPUTS:
        # The <option>s of the input's <datalist>: "J1501 — Aide-soignant / Aide-soignante".
        typed = request.GET.get(trigger, "").strip()[:200]
        results = search_occupations(typed, top=SUGGESTIONS)[0] if len(typed) >= 2 else []
        return render(request, "labour/_occupation_options.html", {"results": results})
    form = OccupationSearchForm(request.GET or None)
    results, used_normaliser, page = [], False, None
    if form.is_valid() and form.cleaned_data["q"]:
        results, used_normaliser = search_occupations(form.cleaned_data["q"])
    else:
        page = Paginator(
            Occupation.objects.active().select_related("domain").order_by("rome_code"), 25
        ).get_page(request.GET.get("page"))
    context = {"form": form, "results": results, "used_normaliser": used_normaliser, "page": page}
    template = "labour/occupation_search.html#results" if request.htmx else "labour/occupation_search.html"
    return render(request, template, context)


def occupation_detail(request: HttpRequest, rome_code: str) -> HttpResponse:
    occupation = get_object_or_404(
        Occupation.objects.select_related("domain__parent"), rome_code=rome_code.upper()
    )
    gaps = occupation_gaps(occupation, set())
    titles = JobTitle.objects.filter(occupation=occupation, is_active=True).order_by("-is_main", "label")
    return render(
        request,
        "labour/occupation_detail.html",
        {
            "occupation": occupation,
            "gaps": gaps,
            "titles": titles,
            "neighbours": neighbours(occupation),
            "esco_matches": esco_matches(occupation),
        },
    )


# --------------------------------------------------------------------------- career project


def _project_url(episode: SupportEpisode) -> str:
    return reverse("labour:career_project", kwargs={"public_id": episode.public_id})


def _project_context(request, episode: SupportEpisode, project: CareerProject | None, bound: dict) -> dict:
    context = {"episode": episode, "project": project, "can_edit": _can_edit(request.user, episode)}
    if project is None:
        return context
    targets = list(
        project.targets.select_related("occupation").prefetch_related(
            Prefetch("evidence_placements", queryset=WorkPlacement.objects.order_by("starts_on"))
        )
    )
    placements = list(project.placements.select_related("occupation"))
    profile = skill_profile(project)
    context.update(
        targets=targets,
        placements=placements,
        profile=profile,
        suggestions=suggest_occupations(profile.item_codes, profile=profile),
        esco_suggestions=suggest_from_esco(profile),
        skills_form=bound.get("skills")
        or DeclaredSkillsForm(
            initial={"version": project.version, "skills": "\n".join(project.declared_skills)},
            prefix="skills",
        ),
        add_form=bound.get("add") or AddTargetForm(prefix="add"),
        placement_form=bound.get("placement") or PlacementForm(prefix="placement"),
        decide_forms={
            t.pk: bound.get(("decide", t.pk))
            or DecideTargetForm(
                project=project,
                prefix=f"decide{t.pk}",
                initial={
                    "version": t.version,
                    "status": t.status,
                    "evidence": t.evidence,
                    "placements": list(t.evidence_placements.all()),
                },
            )
            for t in targets
        },
        assess_forms={
            p.pk: bound.get(("assess", p.pk))
            or AssessPlacementForm(
                prefix=f"assess{p.pk}",
                initial={
                    "version": p.version,
                    "host_score": p.host_score,
                    "host_comment": p.host_comment,
                    "person_score": p.person_score,
                    "person_comment": p.person_comment,
                },
            )
            for p in placements
        },
    )
    # DecideTargetForm querysets: one query for all forms instead of one per form
    for form in context["decide_forms"].values():
        form.fields["placements"].choices = [
            (p.pk, f"{p.host_name} — {p.occupation.label}") for p in placements
        ]
    return context


def _can_edit(user, episode: SupportEpisode) -> bool:
    return episode.is_open and episode.organisation_id in user.case_organisation_ids()


def render_project_page(request, episode: SupportEpisode, *, bound: dict | None = None, status: int = 200):
    project = CareerProject.objects.filter(episode=episode).first()
    access.log_read(episode.person, user=request.user, route="labour:career_project")
    return render(
        request,
        "labour/career_project.html",
        _project_context(request, episode, project, bound or {}),
        status=status,
    )


def career_project(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id)
    return render_project_page(request, episode)


def _failed(request, episode, bound: dict, message: str, status: int) -> HttpResponse:
    messages.error(request, message)
    return render_project_page(request, episode, bound=bound, status=status)


def _project_for_change(request, public_id) -> tuple[SupportEpisode, CareerProject]:
    episode = access.episode_for(
        request.user, public_id, manage=True
    )  # 404 unseen, 403 not of the organisation
    project = get_object_or_404(CareerProject, episode=episode)
    return episode, project


CONFLICT = "Ce projet a été modifié par quelqu'un d'autre pendant votre saisie : rien n'a été enregistré. Vérifiez puis validez à nouveau."
INVALID = "Le formulaire contient des erreurs : rien n'a été enregistré."


def _run(request, episode, key, form, change) -> HttpResponse:
    """Run one action for a valid form; on failure re-render with the form bound (typed values kept)."""
    if not form.is_valid():
        return _failed(request, episode, {key: form}, _(INVALID), 400)
    try:
        change(form.cleaned_data)
    except ConcurrentEditError:
        return _failed(request, episode, {key: form}, _(CONFLICT), 409)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _failed(request, episode, {key: form}, _(INVALID), 400)
    messages.success(request, _("Modification enregistrée."))
    return redirect(_project_url(episode))


@require_POST
def start_project(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True)
    actions.start_career_project(episode, by=request.user)
    return redirect(_project_url(episode))


@require_POST
def update_skills(request: HttpRequest, public_id) -> HttpResponse:
    episode, project = _project_for_change(request, public_id)
    form = DeclaredSkillsForm(request.POST, prefix="skills")
    return _run(
        request,
        episode,
        "skills",
        form,
        lambda d: actions.update_declared_skills(
            project, by=request.user, skills=d["skills"], expected_version=d["version"]
        ),
    )


@require_POST
def add_target(request: HttpRequest, public_id) -> HttpResponse:
    episode, project = _project_for_change(request, public_id)
    form = AddTargetForm(request.POST, prefix="add")
    return _run(
        request,
        episode,
        "add",
        form,
        lambda d: actions.add_target_occupation(
            project, by=request.user, occupation=d["occupation"], status=d["status"]
        ),
    )


def _target(project: CareerProject, target_id: int) -> TargetOccupation:
    return get_object_or_404(
        TargetOccupation.objects.select_related("occupation"), project=project, pk=target_id
    )


@require_POST
def decide_target(request: HttpRequest, public_id, target_id: int) -> HttpResponse:
    episode, project = _project_for_change(request, public_id)
    target = _target(project, target_id)
    form = DecideTargetForm(request.POST, project=project, prefix=f"decide{target.pk}")
    return _run(
        request,
        episode,
        ("decide", target.pk),
        form,
        lambda d: actions.decide_target_occupation(
            target,
            by=request.user,
            status=d["status"],
            evidence=d["evidence"],
            placements=list(d["placements"]),
            expected_version=d["version"],
        ),
    )


@require_POST
def remove_target(request: HttpRequest, public_id, target_id: int) -> HttpResponse:
    episode, project = _project_for_change(request, public_id)
    target = _target(project, target_id)
    try:
        actions.remove_target_occupation(target, by=request.user)
    except ValidationError as exc:
        return _failed(request, episode, {}, "; ".join(exc.messages), 400)
    messages.success(request, _("Métier retiré du projet."))
    return redirect(_project_url(episode))


@require_POST
def plan_placement(request: HttpRequest, public_id) -> HttpResponse:
    episode, project = _project_for_change(request, public_id)
    form = PlacementForm(request.POST, prefix="placement")
    return _run(
        request,
        episode,
        "placement",
        form,
        lambda d: actions.plan_work_placement(
            project,
            by=request.user,
            objective=d["objective"],
            occupation=d["occupation"],
            host_name=d["host_name"],
            host_establishment=d["host_establishment"],
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
        ),
    )


@require_POST
def assess_placement(request: HttpRequest, public_id, placement_id: int) -> HttpResponse:
    episode, project = _project_for_change(request, public_id)
    placement = get_object_or_404(WorkPlacement, project=project, pk=placement_id)
    form = AssessPlacementForm(request.POST, prefix=f"assess{placement.pk}")
    return _run(
        request,
        episode,
        ("assess", placement.pk),
        form,
        lambda d: actions.assess_work_placement(
            placement,
            by=request.user,
            host_score=d["host_score"],
            host_comment=d["host_comment"],
            person_score=d["person_score"],
            person_comment=d["person_comment"],
            expected_version=d["version"],
        ),
    )


def target_occupation(request: HttpRequest, public_id, target_id: int) -> HttpResponse:
    """One target occupation: its skills and the person's gaps, neighbouring occupations, and the
    market panel (a partial and template tag of parcours.market, which sits above labour).
    Template reusable by a person portal."""
    episode = access.episode_for(request.user, public_id)
    project = get_object_or_404(CareerProject, episode=episode)
    target = _target(project, target_id)
    access.log_read(episode.person, user=request.user, route="labour:target_occupation")
    profile = skill_profile(project)
    context = {
        "episode": episode,
        "person": episode.person,  # the market panel reads occupation, person and episode
        "project": project,
        "target": target,
        "occupation": target.occupation,
        "profile": profile,
        "gaps": occupation_gaps(target.occupation, profile.item_codes, profile),
        "esco_gaps": esco_gaps(target.occupation, profile),
        "neighbours": neighbours(target.occupation),
    }
    return render(request, "labour/target_occupation.html", context)
