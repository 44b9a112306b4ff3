"""Referrals: propose a service to a person, the two inboxes, the detail page of each side, and
the status changes. The receiving organisation sees only what the person consented to share."""

import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.cases import access
from parcours.cases.locking import ConcurrentEditError
from parcours.catalogue import actions
from parcours.catalogue.forms import OutcomeForm, ReferralForm, RefuseForm, VersionForm
from parcours.catalogue.models import (
    InvalidReferralTransition,
    Referral,
    ReferralStatus,
    Service,
    WorkshopSession,
)

logger = logging.getLogger(__name__)


def parse_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


REFERRAL_RELATED = (
    "service__organisation",
    "receiving_organisation",
    "episode__organisation",
    "episode__referent",
)

# URL verb -> (action, form, who): the one table the detail page and the POST view share.
TRANSITION_FORMS = {
    "accepter": (ReferralStatus.ACCEPTED, VersionForm),
    "refuser": (ReferralStatus.REFUSED, RefuseForm),
    "commencer": (ReferralStatus.STARTED, VersionForm),
    "terminer": (ReferralStatus.COMPLETED, OutcomeForm),
    "abandonner": (ReferralStatus.ABANDONED, OutcomeForm),
}
VERB_BY_STATUS = {status: verb for verb, (status, _form) in TRANSITION_FORMS.items()}


def get_referral_for_user(request: HttpRequest, public_id) -> Referral:
    return get_object_or_404(
        Referral.objects.visible_to(request.user).select_related(*REFERRAL_RELATED), public_id=public_id
    )


def sides(user, referral: Referral) -> tuple[bool, bool]:
    """(is on the sending side, is on the receiving side)."""
    sender = access.episodes(user).filter(pk=referral.episode_id).exists()
    receiver = referral.receiving_organisation_id in user.case_organisation_ids()
    return sender, receiver


def referral_create(request: HttpRequest, public_id, episode_id) -> HttpResponse:
    episode = get_object_or_404(
        access.open_episodes(request.user).select_related("person", "organisation"),
        public_id=episode_id,
    )
    if episode.organisation_id not in request.user.case_organisation_ids():
        raise PermissionDenied
    service = get_object_or_404(Service.objects.active().select_related("organisation"), public_id=public_id)
    form = ReferralForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = actions.propose_referral(
                    episode,
                    by=request.user,
                    service=service,
                    shared_fields=data["shared_fields"],
                    barriers=data["barriers"],
                    message=data["message"],
                    consent_given=data["consent_given"],
                )
            except ValidationError as exc:
                form.add_error(None, "; ".join(exc.messages))
            else:
                messages.success(request, _("Orientation proposée : le service a été prévenu."))
                return redirect("catalogue:referral_detail", public_id=referral.public_id)
    # The form shows whom the referral is for.
    access.log_read(episode.person, user=request.user, route="catalogue:referral_create")
    return render(
        request,
        "catalogue/referral_form.html",
        {"form": form, "episode": episode, "service": service},
        status=status,
    )


def referral_list(request: HttpRequest) -> HttpResponse:
    box = request.GET.get("boite", "recues")
    base = Referral.objects.select_related("service", "receiving_organisation", "episode__organisation")
    if box == "envoyees":
        referrals = base.sent_by(request.user).select_related("person")
    else:
        box = "recues"
        referrals = base.received_by(request.user)
    status = request.GET.get("statut", "")
    if status in ReferralStatus.values:
        referrals = referrals.filter(status=status)
    page = Paginator(referrals.order_by("-proposed_at", "-pk"), settings.PARCOURS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "catalogue/referral_list.html",
        {"page": page, "box": box, "status": status, "statuses": ReferralStatus.choices},
    )


def _detail_context(request, referral: Referral, bound: dict | None = None) -> dict:
    sender, receiver = sides(request.user, referral)
    forms = {}
    for status in referral.allowed_transitions():
        verb = VERB_BY_STATUS.get(status)
        if verb is None:
            continue
        target, form_class = TRANSITION_FORMS[verb]
        may = (
            receiver
            if target
            in (
                ReferralStatus.ACCEPTED,
                ReferralStatus.REFUSED,
                ReferralStatus.STARTED,
                ReferralStatus.COMPLETED,
            )
            else (sender or receiver)
        )
        if may:
            forms[verb] = (bound or {}).get(verb) or form_class(
                initial={"version": referral.version}, prefix=verb
            )
    context = {
        "referral": referral,
        "is_sender": sender,
        "is_receiver": receiver,
        "forms": forms,
        "transitions": referral.transitions.select_related("by"),
        "sessions": WorkshopSession.objects.filter(service=referral.service, starts_at__gte=timezone.now())[
            :20
        ],
        "registrations": referral.registrations.select_related("session"),
    }
    if sender:
        # The sending team sees its own file: the person is shown as on the person page.
        context["person"] = referral.person
    else:
        context["shared"] = referral.shared_person_data()
    return context


def referral_detail(request: HttpRequest, public_id) -> HttpResponse:
    referral = get_referral_for_user(request, public_id)
    context = _detail_context(request, referral)
    if context.get("person") or context.get("shared"):
        access.log_read(referral.person, user=request.user, route="catalogue:referral_detail")
    return render(request, "catalogue/referral_detail.html", context)


@require_POST
def referral_transition(request: HttpRequest, public_id, verb: str) -> HttpResponse:
    referral = get_referral_for_user(request, public_id)
    if verb not in TRANSITION_FORMS:
        raise PermissionDenied
    target, form_class = TRANSITION_FORMS[verb]
    form = form_class(request.POST, prefix=verb)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            if target == ReferralStatus.ACCEPTED:
                actions.accept_referral(referral, by=request.user, expected_version=data["version"])
            elif target == ReferralStatus.REFUSED:
                actions.refuse_referral(
                    referral,
                    by=request.user,
                    reason=data["reason"],
                    note=data["note"],
                    expected_version=data["version"],
                )
            elif target == ReferralStatus.STARTED:
                actions.start_referral(referral, by=request.user, expected_version=data["version"])
            elif target == ReferralStatus.COMPLETED:
                actions.complete_referral(
                    referral,
                    by=request.user,
                    outcome=data["outcome"],
                    note=data["note"],
                    expected_version=data["version"],
                )
            else:
                actions.abandon_referral(
                    referral,
                    by=request.user,
                    outcome=data["outcome"],
                    note=data["note"],
                    expected_version=data["version"],
                )
        except ConcurrentEditError:
            form.add_error(
                None,
                _("Cette orientation a changé entre-temps : rien n'a été enregistré. Vérifiez son état."),
            )
            status = 409
        except InvalidReferralTransition:
            form.add_error(None, _("Ce changement n'est pas possible depuis le statut actuel."))
            status = 409
        except PermissionDenied:
            form.add_error(None, _("Ce changement revient à l'autre structure."))
            status = 403
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            messages.success(request, _("Orientation mise à jour."))
            return redirect("catalogue:referral_detail", public_id=referral.public_id)
    referral.refresh_from_db()
    context = _detail_context(request, referral, bound={verb: form})
    context["forms"][verb] = form
    return render(request, "catalogue/referral_detail.html", context, status=status)


@require_POST
def referral_register(request: HttpRequest, public_id) -> HttpResponse:
    """Register the referred person to a session of the service."""
    referral = get_referral_for_user(request, public_id)
    session = get_object_or_404(
        WorkshopSession.objects.filter(service=referral.service),
        public_id=parse_uuid(request.POST.get("session")),
    )
    try:
        registration = actions.register_for_workshop(
            session, by=request.user, person=referral.person, referral=referral
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(
            request, "; ".join(getattr(exc, "messages", [str(exc)])) or _("Inscription impossible.")
        )
    else:
        messages.success(
            request,
            _("Inscription enregistrée.")
            if registration.status == registration.Status.REGISTERED
            else _("Séance complète : la personne est sur liste d'attente."),
        )
    return redirect("catalogue:referral_detail", public_id=referral.public_id)
