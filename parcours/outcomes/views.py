"""Pages of employment outcomes and post-hire check-ins.

The episode is read through access.episodes(user) (404 otherwise) and every
read is logged; changes need a counselor or manager of the episode's organisation (403 for
follow-up members of other organisations), also after the episode closed, since check-ins run up
to 12 months after the hire. The one-time link page is public: the signed token is the credential.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.cases import access
from parcours.catalogue.models import Service
from parcours.outcomes import actions
from parcours.outcomes.forms import AnswerForm, LinkForm, OutcomeForm
from parcours.outcomes.models import CheckIn, EmploymentOutcome

DUE_WINDOW_DAYS = 7
DUE_LIST_LIMIT = 200


def _checkin(request: HttpRequest, checkin_id: int) -> CheckIn:
    checkin = get_object_or_404(
        CheckIn.objects.visible_to(request.user).select_related("outcome__episode__person"), pk=checkin_id
    )
    if checkin.outcome.episode.organisation_id not in request.user.case_organisation_ids():
        raise PermissionDenied
    return checkin


# Services suggested next to a check-in's difficulties.
RETENTION_SERVICES = 5


def _page(request, episode, *, outcome_form=None, answer_forms=None, status=200, new_link=None):
    can_see_sensitive = access.can_see_sensitive(request.user, episode)
    outcomes = list(
        EmploymentOutcome.objects.filter(episode=episode)
        .prefetch_related("checkins", "contract_changes")
        .order_by("-start_on", "-pk")
    )
    answer_forms = answer_forms or {}
    for outcome in outcomes:
        for checkin in outcome.checkins.all():
            checkin.difficulty_names = checkin.difficulty_labels(can_see_sensitive)
            kinds = checkin.visible_difficulties(can_see_sensitive)
            # retention services of the catalogue addressing the difficulties (one query each)
            checkin.services = (
                list(Service.objects.active().addressing(kinds).order_by("name")[:RETENTION_SERVICES])
                if kinds and episode.is_open
                else []
            )
            checkin.form = answer_forms.get(checkin.pk) or AnswerForm(
                prefix=f"c{checkin.pk}", can_see_sensitive=can_see_sensitive
            )
    context = {
        "episode": episode,
        "person": episode.person,
        "outcomes": outcomes,
        "outcome_form": outcome_form or OutcomeForm(initial={"start_on": timezone.localdate()}),
        "can_manage": episode.organisation_id in request.user.case_organisation_ids(),
        "employer_contact": actions.employer_contact_allowed(episode),
        "link_form": LinkForm(),
        "new_link": new_link,
    }
    return render(request, "outcomes/episode.html", context, status=status)


def episode_outcomes(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id)
    access.log_read(episode.person, user=request.user, route="outcomes:episode")
    return _page(request, episode)


@require_POST
def record_outcome(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True, open=False)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            actions.record_outcome(episode, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Emploi enregistré ; les points de suivi sont programmés."))
            return redirect("outcomes:episode", public_id=episode.public_id)
    messages.error(request, _("Le formulaire contient des erreurs : rien n'a été enregistré."))
    return _page(request, episode, outcome_form=form, status=400)


@require_POST
def answer_checkin(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = _checkin(request, checkin_id)
    episode = checkin.outcome.episode
    form = AnswerForm(
        request.POST,
        prefix=f"c{checkin.pk}",
        can_see_sensitive=access.can_see_sensitive(request.user, episode),
    )
    if form.is_valid():
        try:
            actions.answer_checkin(
                checkin, by=request.user, respondent=CheckIn.Respondent.COUNSELOR, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Réponse enregistrée."))
            return redirect("outcomes:episode", public_id=episode.public_id)
    return _page(request, episode, answer_forms={checkin.pk: form}, status=400)


@require_POST
def create_link(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = _checkin(request, checkin_id)
    episode = checkin.outcome.episode
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _page(request, episode, status=400)
    try:
        token = actions.create_checkin_link(
            checkin, by=request.user, respondent=form.cleaned_data["respondent"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _page(request, episode, status=400)
    return _page(request, episode, new_link=actions.link_url(token))


@login_not_required
def answer_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time questionnaire. The employer sees the question and nothing of the file."""
    try:
        link = actions.link_from_token(token)
    except ValidationError as exc:
        return render(request, "outcomes/link_invalid.html", {"reason": " ".join(exc.messages)}, status=404)
    employer = link.respondent == CheckIn.Respondent.EMPLOYER
    form = AnswerForm(request.POST or None, can_see_sensitive=True, employer=employer)
    if request.method == "POST" and form.is_valid():
        try:
            actions.answer_by_link(token, **form.cleaned_data)
        except ValidationError as exc:
            return render(
                request, "outcomes/link_invalid.html", {"reason": " ".join(exc.messages)}, status=404
            )
        return render(request, "outcomes/link_thanks.html")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "outcomes/answer_by_link.html", {"form": form, "employer": employer}, status=status
    )


def due_checkins(request: HttpRequest) -> HttpResponse:
    """Check-ins of the user's visible episodes that are due within a week or late."""
    access.require_case_work(request.user)
    today = timezone.localdate()
    checkins = (
        CheckIn.objects.visible_to(request.user)
        .pending()
        .filter(due_on__lte=today + datetime.timedelta(days=DUE_WINDOW_DAYS))
        .select_related("outcome__episode__person")
        .order_by("due_on", "pk")[:DUE_LIST_LIMIT]
    )
    checkins = list(checkins)
    access.log_read([c.outcome.episode.person for c in checkins], user=request.user, route="outcomes:due")
    return render(
        request, "outcomes/due.html", {"checkins": checkins, "today": today, "limit": DUE_LIST_LIMIT}
    )
