"""HTML pages of diagnosis, action plan and orientation, from an episode; and the public
self-diagnosis pages reached through a one-time signed link (no account, phone first, no JavaScript).

Access: the episode goes through access.episodes(user) (404 otherwise); changes
need a counselor or manager of the episode's organisation (403 for a follow-up member of another
one). Health and justice barriers, answers and actions are shown only when
access.can_see_sensitive(user, episode). Every read of a page calls access.log_read; every change one action.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from parcours.cases import access
from parcours.cases.locking import ConcurrentEditError
from parcours.cases.models import SupportEpisode
from parcours.diagnosis import actions
from parcours.diagnosis import questionnaire as q
from parcours.diagnosis.forms import (
    AcceptSuggestionForm,
    ActionForm,
    ActionStatusForm,
    BarrierForm,
    EditActionForm,
    OrientationForm,
    SectionForm,
    SkillForm,
)
from parcours.diagnosis.invitations import InvitationGone, InvitationInvalid, invitation_from_token
from parcours.diagnosis.models import (
    SENSITIVE_BARRIERS,
    Action,
    Barrier,
    BarrierKind,
    Diagnosis,
    Orientation,
    ScoreBand,
    SelfDiagnosisInvitation,
    Skill,
)
from parcours.diagnosis.orientation import facts_for, latest_diagnosis, score_band_for, suggest
from parcours.diagnosis.suggestions import plan_overview
from parcours.people.models import DigitalAutonomy

logger = logging.getLogger(__name__)

STAFF_BASE = "base.html"
SELF_BASE = "diagnosis/self_base.html"


def _error_text(exc: Exception) -> str:
    return "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _read_episode(request: HttpRequest, public_id) -> SupportEpisode:
    return access.episode_for(request.user, public_id)


def _manage_episode(request: HttpRequest, public_id) -> SupportEpisode:
    return access.episode_for(request.user, public_id, manage=True)


def _diagnosis(episode: SupportEpisode, diagnosis_id) -> Diagnosis:
    return get_object_or_404(
        Diagnosis.objects.filter(episode=episode).select_related("questionnaire_version__questionnaire"),
        public_id=diagnosis_id,
    )


def _can_manage(user, episode: SupportEpisode) -> bool:
    return episode.is_open and episode.organisation_id in user.case_organisation_ids()


# --- Episode overview ------------------------------------------------------------------------


def _episode_page(request, episode, *, new_link: str = "", status: int = 200) -> HttpResponse:
    diagnoses = list(
        Diagnosis.objects.filter(episode=episode)
        .select_related("questionnaire_version__questionnaire", "invitation")
        .order_by("-created_at", "-pk")[:50]
    )
    context = {
        "episode": episode,
        "person": episode.person,
        "diagnoses": diagnoses,
        "can_manage": _can_manage(request.user, episode),
        "new_link": new_link,
    }
    return render(request, "diagnosis/episode.html", context, status=status)


@require_http_methods(["GET"])
def episode_overview(request: HttpRequest, public_id) -> HttpResponse:
    episode = _read_episode(request, public_id)
    access.log_read(episode.person, user=request.user, route="diagnosis:episode")
    return _episode_page(request, episode)


@require_POST
def start_diagnosis(request: HttpRequest, public_id) -> HttpResponse:
    episode = _manage_episode(request, public_id)
    try:
        diagnosis = actions.start_diagnosis(episode, by=request.user)
    except ValidationError as exc:
        messages.error(request, _("Impossible de commencer le diagnostic : %(d)s") % {"d": _error_text(exc)})
        return _episode_page(request, episode, status=400)
    return redirect(
        "diagnosis:fill_section", public_id=episode.public_id, diagnosis_id=diagnosis.public_id, index=1
    )


@require_POST
def create_invitation(request: HttpRequest, public_id) -> HttpResponse:
    """The link is shown once, on this response; only its signature-checked id is stored."""
    episode = _manage_episode(request, public_id)
    try:
        _, token = actions.create_self_diagnosis_invitation(episode, by=request.user)
    except ValidationError as exc:
        messages.error(request, _("Impossible de créer le lien : %(d)s") % {"d": _error_text(exc)})
        return _episode_page(request, episode, status=400)
    link = request.build_absolute_uri(reverse("diagnosis:self_start", kwargs={"token": token}))
    return _episode_page(request, episode, new_link=link, status=201)


# --- Filling a questionnaire, one section at a time ---------------------------------------------


def _section_or_404(diagnosis: Diagnosis, index: int) -> dict:
    sections = q.sections(diagnosis.definition)
    if not 1 <= index <= len(sections):
        raise Http404
    return sections[index - 1]


def fill_section_page(
    request, diagnosis: Diagnosis, index: int, *, by, urls, base: str, can_see_sensitive: bool
):
    """Shared by the counselor and the self-diagnosis pages. `urls(index)` gives the URL of a
    section; index len+1 is the review page."""
    section = _section_or_404(diagnosis, index)
    total = len(q.sections(diagnosis.definition))
    status = 200
    conflict = False
    if request.method == "POST":
        form = SectionForm(request.POST, section=section, can_see_sensitive=can_see_sensitive)
        if form.is_valid():
            try:
                actions.save_answers(
                    diagnosis,
                    by=by,
                    section_id=section["id"],
                    answers=form.answers(),
                    expected_version=form.cleaned_data.get("version"),
                )
            except ConcurrentEditError:
                conflict = True
                status = 409
                diagnosis.refresh_from_db(fields=["version", "answers"])
                data = request.POST.copy()
                data["version"] = str(diagnosis.version)
                form = SectionForm(data, section=section, can_see_sensitive=can_see_sensitive)
                form.is_valid()
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
                status = 400
            else:
                return redirect(urls(index + 1))
        else:
            status = 400
    else:
        form = SectionForm(
            section=section,
            can_see_sensitive=can_see_sensitive,
            initial_answers=diagnosis.answers,
            initial={"version": diagnosis.version},
        )
    context = {
        "base_template": base,
        "diagnosis": diagnosis,
        "form": form,
        "section_title": q.text(section["title"]),
        "section_help": q.text(section.get("help")),
        "index": index,
        "total": total,
        "previous_url": urls(index - 1) if index > 1 else "",
        "conflict": conflict,
        "plain_fields": [form[qu["id"]] for qu in form.questions if qu["type"] != "skills"],
        "skill_groups": form.skill_groups(),
    }
    return render(request, "diagnosis/section.html", context, status=status)


def review_context(diagnosis: Diagnosis, section_url) -> dict:
    """The person's answers before sending, with a link back to each section (`section_url(i)`).
    Shared by the one-time link and the person's space."""
    rendered = diagnosis.rendered(True)
    return {
        "rendered": rendered,
        "review_links": [(title, section_url(i)) for i, (title, _rows) in enumerate(rendered, 1)],
    }


@require_http_methods(["GET", "POST"])
def fill_section(request: HttpRequest, public_id, diagnosis_id, index: int) -> HttpResponse:
    episode = _manage_episode(request, public_id)
    diagnosis = _diagnosis(episode, diagnosis_id)
    if diagnosis.is_completed:
        return redirect("diagnosis:detail", public_id=episode.public_id, diagnosis_id=diagnosis.public_id)
    total = len(q.sections(diagnosis.definition))

    def urls(i: int) -> str:
        kwargs = {"public_id": episode.public_id, "diagnosis_id": diagnosis.public_id}
        if i > total:
            return reverse("diagnosis:detail", kwargs=kwargs) + "#terminer"
        return reverse("diagnosis:fill_section", kwargs={**kwargs, "index": i})

    if request.method == "GET":
        access.log_read(episode.person, user=request.user, route="diagnosis:fill_section")
    can_see = access.can_see_sensitive(request.user, episode)
    return fill_section_page(
        request, diagnosis, index, by=request.user, urls=urls, base=STAFF_BASE, can_see_sensitive=can_see
    )


def _detail_page(
    request, episode, diagnosis, *, barrier_form=None, skill_form=None, status=200
) -> HttpResponse:
    user = request.user
    can_see = access.can_see_sensitive(user, episode)
    barriers = list(diagnosis.barriers.for_reader(can_see).select_related("recorded_by"))
    skills = list(Skill.objects.filter(person_id=episode.person_id).order_by("label", "pk")[:200])
    context = {
        "episode": episode,
        "person": episode.person,
        "diagnosis": diagnosis,
        "rendered": diagnosis.rendered(can_see),
        "barriers": barriers,
        "skills": skills,
        "can_see_sensitive": can_see,
        "can_manage": _can_manage(user, episode),
        "barrier_form": barrier_form or BarrierForm(can_see_sensitive=can_see),
        "skill_form": skill_form or SkillForm(),
        "sections_total": len(diagnosis.definition["sections"]),
    }
    return render(request, "diagnosis/detail.html", context, status=status)


@require_http_methods(["GET"])
def diagnosis_detail(request: HttpRequest, public_id, diagnosis_id) -> HttpResponse:
    episode = _read_episode(request, public_id)
    diagnosis = _diagnosis(episode, diagnosis_id)
    access.log_read(episode.person, user=request.user, route="diagnosis:detail")
    return _detail_page(request, episode, diagnosis)


@require_POST
def complete_diagnosis(request: HttpRequest, public_id, diagnosis_id) -> HttpResponse:
    episode = _manage_episode(request, public_id)
    diagnosis = _diagnosis(episode, diagnosis_id)
    try:
        actions.complete_diagnosis(diagnosis, by=request.user)
    except ValidationError as exc:
        messages.error(request, _("Diagnostic non terminé : %(d)s") % {"d": _error_text(exc)})
        return _detail_page(request, episode, diagnosis, status=400)
    messages.success(
        request, _("Diagnostic terminé : freins, compétences et autonomie numérique enregistrés.")
    )
    return redirect("diagnosis:detail", public_id=episode.public_id, diagnosis_id=diagnosis.public_id)


@require_POST
def add_barrier(request: HttpRequest, public_id, diagnosis_id) -> HttpResponse:
    episode = _manage_episode(request, public_id)
    diagnosis = _diagnosis(episode, diagnosis_id)
    form = BarrierForm(request.POST, can_see_sensitive=access.can_see_sensitive(request.user, episode))
    if not form.is_valid():
        return _detail_page(request, episode, diagnosis, barrier_form=form, status=400)
    try:
        actions.record_barrier(diagnosis, by=request.user, **form.cleaned_data)
    except PermissionDenied:
        form.add_error("kind", _("Vous ne pouvez pas enregistrer un frein de cette rubrique sensible."))
        return _detail_page(request, episode, diagnosis, barrier_form=form, status=403)
    except ValidationError as exc:
        form.add_error(None, _error_text(exc))
        return _detail_page(request, episode, diagnosis, barrier_form=form, status=400)
    messages.success(request, _("Frein enregistré."))
    return redirect("diagnosis:detail", public_id=episode.public_id, diagnosis_id=diagnosis.public_id)


@require_POST
def add_skill(request: HttpRequest, public_id, diagnosis_id) -> HttpResponse:
    episode = _manage_episode(request, public_id)
    diagnosis = _diagnosis(episode, diagnosis_id)
    form = SkillForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, episode, diagnosis, skill_form=form, status=400)
    try:
        actions.add_skill(
            episode.person, by=request.user, episode=episode, diagnosis=diagnosis, **form.cleaned_data
        )
    except ValidationError as exc:
        form.add_error(None, _error_text(exc))
        return _detail_page(request, episode, diagnosis, skill_form=form, status=400)
    messages.success(request, _("Compétence enregistrée."))
    return redirect("diagnosis:detail", public_id=episode.public_id, diagnosis_id=diagnosis.public_id)


# --- Action plan -----------------------------------------------------------------------------


def _plan_page(request, episode, *, form=None, status=200) -> HttpResponse:
    can_see = access.can_see_sensitive(request.user, episode)
    context = plan_overview(episode, can_see)
    context.update(
        {
            "episode": episode,
            "person": episode.person,
            "can_manage": _can_manage(request.user, episode),
            "form": form or ActionForm(barriers=context["barriers"]),
            "status_choices": Action.Status.choices,
        }
    )
    return render(request, "diagnosis/action_plan.html", context, status=status)


@require_http_methods(["GET", "POST"])
def action_plan(request: HttpRequest, public_id) -> HttpResponse:
    if request.method == "GET":
        episode = _read_episode(request, public_id)
        access.log_read(episode.person, user=request.user, route="diagnosis:action_plan")
        return _plan_page(request, episode)
    episode = _manage_episode(request, public_id)
    can_see = access.can_see_sensitive(request.user, episode)
    diagnosis = latest_diagnosis(episode)
    barriers = list(diagnosis.barriers.for_reader(can_see)) if diagnosis else []
    form = ActionForm(request.POST, barriers=barriers)
    if not form.is_valid():
        return _plan_page(request, episode, form=form, status=400)
    try:
        actions.add_action(episode, by=request.user, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(None, _error_text(exc))
        return _plan_page(request, episode, form=form, status=400)
    messages.success(request, _("Action ajoutée au plan."))
    return redirect("diagnosis:action_plan", public_id=episode.public_id)


@require_POST
def accept_suggestion(request: HttpRequest, public_id) -> HttpResponse:
    episode = _manage_episode(request, public_id)
    form = AcceptSuggestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Suggestion inconnue."))
        return redirect("diagnosis:action_plan", public_id=episode.public_id)
    can_see = access.can_see_sensitive(request.user, episode)
    barrier = get_object_or_404(
        Barrier.objects.filter(diagnosis__episode=episode).for_reader(can_see).select_related("diagnosis"),
        pk=form.cleaned_data["barrier"],
    )
    try:
        actions.accept_suggested_action(
            episode, by=request.user, barrier=barrier, key=form.cleaned_data["key"]
        )
    except ValidationError as exc:
        messages.error(request, _("Suggestion non ajoutée : %(d)s") % {"d": _error_text(exc)})
    else:
        messages.success(request, _("Action suggérée ajoutée au plan."))
    return redirect("diagnosis:action_plan", public_id=episode.public_id)


def _action(episode, request, action_id: int) -> Action:
    can_see = access.can_see_sensitive(request.user, episode)
    return get_object_or_404(
        Action.objects.filter(plan__episode=episode).for_reader(can_see).select_related("barrier"),
        pk=action_id,
    )


@require_http_methods(["GET", "POST"])
def edit_action(request: HttpRequest, public_id, action_id: int) -> HttpResponse:
    episode = _manage_episode(request, public_id)
    action = _action(episode, request, action_id)
    status = 200
    conflict = False
    if request.method == "POST":
        form = EditActionForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            expected = data.pop("version")
            try:
                actions.update_action(action, by=request.user, expected_version=expected, **data)
            except ConcurrentEditError:
                conflict, status = True, 409
                action.refresh_from_db()
                post = request.POST.copy()
                post["version"] = str(action.version)
                form = EditActionForm(post)
                form.is_valid()
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, _error_text(exc))
                status = 400
            else:
                messages.success(request, _("Action mise à jour."))
                return redirect("diagnosis:action_plan", public_id=episode.public_id)
        else:
            status = 400
    else:
        access.log_read(episode.person, user=request.user, route="diagnosis:edit_action")
        form = EditActionForm(
            initial={
                "version": action.version,
                "goal": action.goal,
                "owner": action.owner,
                "due_on": action.due_on,
                "status": action.status,
                "career_goal": action.career_goal,
            }
        )
    context = {
        "episode": episode,
        "person": episode.person,
        "action": action,
        "form": form,
        "conflict": conflict,
    }
    return render(request, "diagnosis/edit_action.html", context, status=status)


@require_POST
def change_action_status(request: HttpRequest, public_id, action_id: int) -> HttpResponse:
    """Status buttons of the plan; with htmx only the row is sent back, otherwise the whole page."""
    episode = _manage_episode(request, public_id)
    action = _action(episode, request, action_id)
    form = ActionStatusForm(request.POST)
    status = 200
    if not form.is_valid():
        messages.error(request, _("État inconnu."))
        status = 400
    else:
        try:
            action = actions.change_action_status(
                action,
                by=request.user,
                status=form.cleaned_data["status"],
                expected_version=form.cleaned_data["version"],
            )
        except ConcurrentEditError:
            messages.error(
                request, _("Cette action a été modifiée entre-temps : vérifiez son état puis recommencez.")
            )
            action.refresh_from_db()
            status = 409
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
            status = 400
    if request.htmx:
        context = {
            "episode": episode,
            "a": action,
            "can_manage": True,
            "status_choices": Action.Status.choices,
        }
        return render(request, "diagnosis/action_plan.html#action-row", context, status=status)
    if status == 200:
        messages.success(request, _("Action mise à jour."))
    return redirect("diagnosis:action_plan", public_id=episode.public_id)


# --- Orientation -----------------------------------------------------------------------------


def _visible_kinds(kinds: list[str], can_see_sensitive: bool) -> list[str]:
    """Labels of the barrier kinds the reader may see (codes are never shown)."""
    labels = dict(BarrierKind.choices)
    return [str(labels.get(k, k)) for k in kinds if can_see_sensitive or k not in SENSITIVE_BARRIERS]


def _orientation_page(request, episode, *, form=None, status=200) -> HttpResponse:
    can_see = access.can_see_sensitive(request.user, episode)
    diagnosis = latest_diagnosis(episode)
    suggestion = suggest(facts_for(episode, diagnosis, score_band_for(episode), can_see_sensitive=can_see))
    history = list(
        Orientation.objects.filter(episode=episode)
        .select_related("decided_by", "rule")
        .order_by("-decided_at", "-pk")[:50]
    )
    for orientation in history:
        orientation.visible_kinds = _visible_kinds(orientation.facts.get("barrier_kinds", []), can_see)
    context = {
        "episode": episode,
        "person": episode.person,
        "diagnosis": diagnosis,
        "suggestion": suggestion,
        "visible_kinds": _visible_kinds(sorted(suggestion.facts.barrier_kinds), can_see),
        "digital_label": dict(DigitalAutonomy.choices).get(suggestion.facts.digital_autonomy, ""),
        "band_label": dict(ScoreBand.choices).get(suggestion.facts.score_band, ""),
        "history": history,
        "can_manage": _can_manage(request.user, episode),
        "form": form or OrientationForm(suggestion=suggestion, initial={"version": episode.version}),
    }
    return render(request, "diagnosis/orientation.html", context, status=status)


@require_http_methods(["GET", "POST"])
def orientation(request: HttpRequest, public_id) -> HttpResponse:
    if request.method == "GET":
        episode = _read_episode(request, public_id)
        access.log_read(episode.person, user=request.user, route="diagnosis:orientation")
        return _orientation_page(request, episode)
    episode = _manage_episode(request, public_id)
    diagnosis = latest_diagnosis(episode)
    can_see = access.can_see_sensitive(request.user, episode)
    suggestion = suggest(facts_for(episode, diagnosis, score_band_for(episode), can_see_sensitive=can_see))
    form = OrientationForm(request.POST, suggestion=suggestion)
    if not form.is_valid():
        return _orientation_page(request, episode, form=form, status=400)
    data = form.cleaned_data
    try:
        actions.decide_orientation(
            episode,
            by=request.user,
            chosen_intensity=data["chosen_intensity"],
            chosen_approach=data["chosen_approach"],
            reason=data["reason"],
            services=form.services_list(),
            diagnosis=diagnosis,
            expected_version=data["version"],
        )
    except ConcurrentEditError:
        fresh = SupportEpisode.objects.select_related("person", "organisation", "site").get(pk=episode.pk)
        post = request.POST.copy()
        post["version"] = str(fresh.version)
        form = OrientationForm(post, suggestion=suggestion)
        form.is_valid()
        form.add_error(
            None,
            _(
                "Cet accompagnement a été modifié par quelqu'un d'autre pendant votre saisie : rien n'a été "
                "enregistré. Vérifiez son état actuel, puis validez à nouveau si besoin."
            ),
        )
        return _orientation_page(request, fresh, form=form, status=409)
    except ValidationError as exc:
        form.add_error(None, _error_text(exc))
        return _orientation_page(request, episode, form=form, status=400)
    messages.success(
        request, _("Orientation enregistrée ; l'intensité de l'accompagnement a été mise à jour.")
    )
    return redirect("diagnosis:orientation", public_id=episode.public_id)


# --- Self-diagnosis (public, through a signed one-time link) ------------------------------------


def _invitation(request, token: str) -> SelfDiagnosisInvitation | HttpResponse:
    try:
        return invitation_from_token(token)
    except InvitationInvalid as exc:
        raise Http404 from exc
    except InvitationGone as exc:
        return render(request, "diagnosis/self_gone.html", {"reason": exc.reason}, status=410)


def _self_plan(invitation: SelfDiagnosisInvitation) -> list[Action]:
    # The person reads their own plan, sensitive actions included.
    return list(
        Action.objects.filter(plan__episode_id=invitation.episode_id)
        .exclude(status=Action.Status.DROPPED)
        .select_related("barrier")
    )


@login_not_required
@require_http_methods(["GET"])
def self_start(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(request, token)
    if isinstance(invitation, HttpResponse):
        return invitation
    diagnosis = invitation.diagnosis
    context = {
        "token": token,
        "invitation": invitation,
        "organisation": invitation.episode.organisation,
        "title": diagnosis.questionnaire_version.title,
        "total": len(q.sections(diagnosis.definition)),
        "plan_actions": _self_plan(invitation),
    }
    return render(request, "diagnosis/self_start.html", context)


@login_not_required
@require_http_methods(["GET", "POST"])
def self_section(request: HttpRequest, token: str, index: int) -> HttpResponse:
    invitation = _invitation(request, token)
    if isinstance(invitation, HttpResponse):
        return invitation
    diagnosis = invitation.diagnosis
    total = len(q.sections(diagnosis.definition))

    def urls(i: int) -> str:
        if i > total:
            return reverse("diagnosis:self_submit", kwargs={"token": token})
        return reverse("diagnosis:self_section", kwargs={"token": token, "index": i})

    return fill_section_page(
        request, diagnosis, index, by=None, urls=urls, base=SELF_BASE, can_see_sensitive=True
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def self_submit(request: HttpRequest, token: str) -> HttpResponse:
    """GET: review of the answers; POST: send them. The link is then spent."""
    invitation = _invitation(request, token)
    if isinstance(invitation, HttpResponse):
        return invitation
    diagnosis = invitation.diagnosis
    if request.method == "POST":
        try:
            actions.complete_diagnosis(diagnosis, by=None)
        except ValidationError:
            return render(request, "diagnosis/self_gone.html", {"reason": "used"}, status=410)
        logger.info("diagnosis=%s self-completed invitation=%s", diagnosis.pk, invitation.pk)
        context = {"organisation": invitation.episode.organisation, "plan_actions": _self_plan(invitation)}
        return render(request, "diagnosis/self_done.html", context)
    context = review_context(
        diagnosis, lambda i: reverse("diagnosis:self_section", kwargs={"token": token, "index": i})
    )
    context["organisation"] = invitation.episode.organisation
    return render(request, "diagnosis/self_review.html", context)
