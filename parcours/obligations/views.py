"""The commitments of an episode (readers of the file) and its sanction procedures (a sensitive
section: the referent and granted follow-up members only; others do not see that they exist).
Changes need a counselor or manager of the episode's organisation (403 for other readers)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.accounts.models import Role
from parcours.cases import access
from parcours.cases.models import InvalidTransition
from parcours.evaluation.models import SMALL_CELL_THRESHOLD
from parcours.obligations import actions
from parcours.obligations.fairness import AFTER_DAYS, GROUPINGS, outcomes_after_sanction, procedure_counts
from parcours.obligations.forms import BreachForm, ObligationForm, StepForm
from parcours.obligations.models import TRANSITIONS, Ladder, Obligation, SanctionProcedure, Status

# URL verb -> (action, the status it leads to)
STEPS = {
    "avertissement": Status.NOTICE_SENT,
    "observations": Status.OBSERVATIONS,
    "decision": Status.DECIDED,
    "recours": Status.APPEALED,
    "levee": Status.LIFTED,
    "abandon": Status.WITHDRAWN,
}


def _page(request, episode, *, obligation_form=None, breach_form=None, status=200):
    sensitive = access.can_see_sensitive(request.user, episode)
    procedures = (
        list(
            SanctionProcedure.objects.filter(episode=episode)
            .select_related("obligation")
            .prefetch_related("steps__by")
            .order_by("-created_at", "-pk")
        )
        if sensitive
        else []
    )
    for procedure in procedures:
        procedure.next_steps = [verb for verb, to in STEPS.items() if to in TRANSITIONS[procedure.status]]
    context = {
        "episode": episode,
        "person": episode.person,
        "obligations": Obligation.objects.filter(episode=episode).order_by("-version"),
        "procedures": procedures,
        "can_see_sanctions": sensitive,
        "can_manage": episode.organisation_id in request.user.case_organisation_ids(),
        "obligation_form": obligation_form or ObligationForm(),
        "breach_form": breach_form or BreachForm(),
        "step_form": StepForm(ladder=Ladder(episode.organisation_id)),
    }
    return render(request, "obligations/episode.html", context, status=status)


def episode_obligations(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id)
    access.log_read(episode.person, user=request.user, route="obligations:episode")
    return _page(request, episode)


def _errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_POST
def agree_obligations(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True, open=False)
    form = ObligationForm(request.POST)
    if form.is_valid():
        try:
            actions.agree_obligations(episode, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Nouvelle version des engagements enregistrée."))
            return redirect("obligations:episode", public_id=episode.public_id)
    return _page(request, episode, obligation_form=form, status=400)


@require_POST
def record_breach(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True, open=False)
    form = BreachForm(request.POST)
    if form.is_valid():
        try:
            procedure = actions.record_breach(episode, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if procedure.status == Status.BLOCKED:
                messages.error(request, _("Procédure bloquée : l'accompagnement promis n'a pas été délivré."))
            return redirect("obligations:episode", public_id=episode.public_id)
    return _page(request, episode, breach_form=form, status=400)


@require_POST
def procedure_step(request: HttpRequest, procedure_id: int, verb: str) -> HttpResponse:
    procedure = get_object_or_404(
        SanctionProcedure.objects.visible_to(request.user).select_related("episode__person"), pk=procedure_id
    )
    episode = procedure.episode
    if episode.organisation_id not in request.user.case_organisation_ids():
        raise PermissionDenied
    if verb not in STEPS and verb != "radiation":
        raise Http404
    form = StepForm(request.POST, ladder=Ladder(episode.organisation_id))
    form.is_valid()
    data = form.cleaned_data
    try:
        if verb == "avertissement":
            actions.send_notice(procedure, by=request.user, override_reason=data.get("override_reason", ""))
        elif verb == "observations":
            actions.record_observations(procedure, by=request.user, observations=data.get("observations", ""))
        elif verb == "decision":
            actions.decide(
                procedure, by=request.user, decision=data.get("decision", ""), reasons=data.get("reasons", "")
            )
        elif verb == "recours":
            actions.appeal(procedure, by=request.user)
        elif verb == "levee":
            actions.lift(procedure, by=request.user)
        elif verb == "abandon":
            actions.withdraw(procedure, by=request.user)
        else:
            actions.close_after_radiation(procedure, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _page(request, episode, status=400)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return _page(request, episode, status=409)
    return redirect("obligations:episode", public_id=episode.public_id)


def fairness(request: HttpRequest) -> HttpResponse:
    """Counts of breaches, blocked procedures, overrides and sanctions by group, for the
    organisations where the user is a manager or an analyst; cells under the threshold are secret."""
    organisation_ids = request.user.organisation_ids(frozenset({Role.MANAGER, Role.ANALYST}))
    if not organisation_ids:
        raise PermissionDenied
    tables = [
        {"title": title, "rows": procedure_counts(organisation_ids, grouping=grouping)}
        for grouping, (title, _labels) in GROUPINGS.items()
    ]
    context = {
        "tables": tables,
        "after": outcomes_after_sanction(organisation_ids),
        "after_months": round(AFTER_DAYS / 30.4),
        "threshold": SMALL_CELL_THRESHOLD,
    }
    return render(request, "obligations/fairness.html", context)
