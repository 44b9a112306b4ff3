"""The person's commitments, the procedures about them and their post-hire check-ins (/moi/):
their own file only (parcours.portal.scope). The person sends observations and contests a
decision here, and answers a check-in that came due."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.cases.models import InvalidTransition
from parcours.obligations import actions as obligation_actions
from parcours.obligations.forms import PersonAppealForm, PersonObservationsForm
from parcours.obligations.models import ProcedureStep, Status
from parcours.outcomes import actions as outcome_actions
from parcours.outcomes.forms import AnswerForm
from parcours.outcomes.models import CheckIn
from parcours.portal import scope
from parcours.portal.auth import person_required


def _obligations_page(request, *, observations_form=None, appeal_form=None, form_for=None, status=200):
    person = request.person
    today = timezone.localdate()
    obligations = list(
        scope.own_obligations(person)
        .select_related("episode__organisation")
        .order_by("-agreed_on", "-version")
    )
    procedures = list(
        scope.own_procedures(person)
        .select_related("obligation", "episode__organisation")
        .prefetch_related(Prefetch("steps", queryset=ProcedureStep.objects.order_by("at", "pk")))
        .order_by("-created_at", "-pk")
    )
    for procedure in procedures:
        procedure.can_observe = (
            procedure.status == Status.NOTICE_SENT and today <= procedure.observations_due_on
        )
        procedure.can_appeal = procedure.status == Status.DECIDED and (
            procedure.appeal_due_on is None or today <= procedure.appeal_due_on
        )
        mine = form_for == procedure.pk
        procedure.observations_form = (observations_form if mine and observations_form else None) or (
            PersonObservationsForm(auto_id=f"obs-{procedure.pk}-%s")
        )
        procedure.appeal_form = (appeal_form if mine and appeal_form else None) or PersonAppealForm(
            auto_id=f"appeal-{procedure.pk}-%s"
        )
    context = {"obligations": obligations, "procedures": procedures}
    return render(request, "portal/obligations.html", context, status=status)


@person_required
def obligations(request: HttpRequest) -> HttpResponse:
    return _obligations_page(request)


@require_POST
@person_required
def send_observations(request: HttpRequest, procedure_id: int) -> HttpResponse:
    procedure = scope.get_own(scope.own_procedures(request.person), pk=procedure_id)
    form = PersonObservationsForm(request.POST, auto_id=f"obs-{procedure.pk}-%s")
    if form.is_valid():
        try:
            obligation_actions.send_observations_as_person(
                procedure, person=request.person, observations=form.cleaned_data["observations"]
            )
        except ValidationError:
            form.add_error(None, _("Le délai pour présenter des observations est passé."))
        except InvalidTransition:
            form.add_error(None, _("Cette procédure n'attend pas d'observations."))
        else:
            messages.success(
                request, _("Vos observations sont envoyées. Elles seront lues avant toute décision.")
            )
            return redirect(reverse("portal:obligations") + f"#procedure-{procedure.pk}")
    return _obligations_page(request, observations_form=form, form_for=procedure.pk, status=400)


@require_POST
@person_required
def appeal(request: HttpRequest, procedure_id: int) -> HttpResponse:
    procedure = scope.get_own(scope.own_procedures(request.person), pk=procedure_id)
    form = PersonAppealForm(request.POST, auto_id=f"appeal-{procedure.pk}-%s")
    if form.is_valid():
        try:
            obligation_actions.appeal_as_person(
                procedure, person=request.person, reasons=form.cleaned_data["reasons"]
            )
        except ValidationError:
            form.add_error(None, _("Le délai de recours est passé."))
        except InvalidTransition:
            form.add_error(None, _("Cette décision ne peut pas être contestée ici."))
        else:
            messages.success(request, _("Votre recours est enregistré. Une nouvelle décision sera prise."))
            return redirect(reverse("portal:obligations") + f"#procedure-{procedure.pk}")
    return _obligations_page(request, appeal_form=form, form_for=procedure.pk, status=400)


# --- After the hire ---------------------------------------------------------------------------


def _checkins_page(request, *, form=None, form_for=None, status=200):
    today = timezone.localdate()
    checkins = list(
        scope.own_checkins(request.person)
        .select_related("outcome__episode__organisation")
        .order_by("due_on", "pk")
    )
    for checkin in checkins:
        checkin.open_now = checkin.status in (CheckIn.Status.SCHEDULED, CheckIn.Status.REMINDED) and (
            checkin.due_on <= today
        )
        checkin.form = None
        if form_for == checkin.pk:  # the form just sent, with its errors
            checkin.form = form
        elif checkin.open_now:
            checkin.form = AnswerForm(can_see_sensitive=True, auto_id=f"checkin-{checkin.pk}-%s")
        checkin.difficulty_names = checkin.difficulty_labels(True)
    return render(request, "portal/checkins.html", {"checkins": checkins, "today": today}, status=status)


@person_required
def checkins(request: HttpRequest) -> HttpResponse:
    return _checkins_page(request)


@require_POST
@person_required
def answer_checkin(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = scope.get_own(scope.own_checkins(request.person), pk=checkin_id)
    form = AnswerForm(request.POST, can_see_sensitive=True, auto_id=f"checkin-{checkin.pk}-%s")
    if checkin.due_on > timezone.localdate():
        form.is_valid()
        form.add_error(None, _("Ce point de suivi n'est pas encore ouvert."))
    elif form.is_valid():
        try:
            outcome_actions.answer_checkin(
                checkin, by=None, respondent=CheckIn.Respondent.PERSON, **form.cleaned_data
            )
        except ValidationError:
            form.add_error(None, _("Ce point de suivi a déjà reçu une réponse ou est clos."))
        else:
            messages.success(request, _("Merci pour votre réponse."))
            return redirect(reverse("portal:checkins") + f"#checkin-{checkin.pk}")
    return _checkins_page(request, form=form, form_for=checkin.pk, status=400)
