"""Provider pages (create, edit, confirm a service), the counselor's search by need for one person,
the data·inclusion import page and the notification inbox."""

import json
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.accounts.models import Role
from parcours.cases import access
from parcours.cases.locking import ConcurrentEditError
from parcours.catalogue import actions
from parcours.catalogue.exchange import BadPayload, import_catalogue
from parcours.catalogue.forms import ImportForm, MatchForm, ServiceForm
from parcours.catalogue.models import Notification, Service
from parcours.catalogue.search import criteria_for_person, search_services
from parcours.organisations.models import Organisation

logger = logging.getLogger(__name__)


def get_managed_service(request: HttpRequest, public_id) -> Service:
    """A service the user may edit (their organisation's), else 404."""
    return get_object_or_404(
        Service.objects.managed_by(request.user).select_related("organisation"), public_id=public_id
    )


def service_create(request: HttpRequest) -> HttpResponse:
    organisations = Organisation.objects.filter(pk__in=request.user.case_organisation_ids())
    organisation = (
        organisations.filter(public_id=request.GET.get("organisation") or None).first()
        or organisations.first()
    )
    if organisation is None:
        raise PermissionDenied
    form = ServiceForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            service = actions.create_service(
                by=request.user,
                organisation=organisation,
                territories=form.cleaned_data["territories"],
                **form.action_fields(),
            )
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            messages.success(request, _("Service ajouté au catalogue."))
            return redirect("catalogue:service_detail", public_id=service.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "catalogue/service_form.html", {"form": form, "organisation": organisation}, status=status
    )


def service_edit(request: HttpRequest, public_id) -> HttpResponse:
    service = get_managed_service(request, public_id)
    initial = {"version": service.version, "territories": service.territories.all()}
    form = ServiceForm(
        request.POST or None, instance=service, organisation=service.organisation, initial=initial
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                service = actions.update_service(
                    Service.objects.get(pk=service.pk),
                    by=request.user,
                    expected_version=form.cleaned_data["version"] or 0,
                    territories=form.cleaned_data["territories"],
                    **form.action_fields(),
                )
            except ConcurrentEditError:
                form.add_error(
                    None,
                    _(
                        "Cette fiche a été modifiée par quelqu'un d'autre pendant votre saisie : rien n'a été "
                        "enregistré. Rechargez la page pour voir la version actuelle."
                    ),
                )
                status = 409
            except ValidationError as exc:
                form.add_error(None, "; ".join(exc.messages))
            else:
                messages.success(request, _("Fiche mise à jour."))
                return redirect("catalogue:service_detail", public_id=service.public_id)
    return render(
        request,
        "catalogue/service_form.html",
        {"form": form, "organisation": service.organisation, "service": service},
        status=status,
    )


@require_POST
def service_confirm(request: HttpRequest, public_id) -> HttpResponse:
    service = get_managed_service(request, public_id)
    actions.confirm_service_freshness(service, by=request.user)
    messages.success(request, _("Merci : la fiche est confirmée à jour."))
    return redirect("catalogue:service_detail", public_id=service.public_id)


def match(request: HttpRequest, episode_id) -> HttpResponse:
    """Services for one person of the counselor: by need, distance, public, status and modality."""
    episode = get_object_or_404(
        access.episodes(request.user).select_related("person__commune__parent", "organisation"),
        public_id=episode_id,
    )
    person = episode.person
    access.log_read(person, user=request.user, route="catalogue:match")
    form = MatchForm(request.GET or None)
    matches = []
    if not form.is_bound:
        criteria = criteria_for_person(person, user=request.user)
        form = MatchForm(initial={"barriers": criteria.barriers, "radius_km": 30})
        matches = search_services(criteria)
    elif form.is_valid():
        data = form.cleaned_data
        criteria = criteria_for_person(
            person,
            barriers=data["barriers"],
            thematique=data["thematique"],
            public=data["public"],
            modality=data["modality"],
            radius_km=data["radius_km"],
        )
        matches = search_services(criteria)
    template = "catalogue/match.html#results" if request.htmx else "catalogue/match.html"
    return render(
        request,
        template,
        {
            "episode": episode,
            "person": person,
            "form": form,
            "matches": matches,
            # Followers of another organisation see the services but refer through the referent.
            "can_refer": episode.is_open and episode.organisation_id in request.user.case_organisation_ids(),
        },
        status=200 if not form.is_bound or form.is_valid() else 400,
    )


def import_page(request: HttpRequest) -> HttpResponse:
    """Coordinators and administrators load a data·inclusion file; errors are listed per record."""
    if not (request.user.has_role(Role.COORDINATOR, Role.ADMINISTRATOR) or request.user.is_superuser):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            payload = json.load(form.cleaned_data["file"])
            report = import_catalogue(payload, by=request.user, skip_invalid=True)
        except (ValueError, BadPayload) as exc:
            form.add_error("file", _("Fichier illisible : %(error)s") % {"error": exc})
    return render(request, "catalogue/import.html", {"form": form, "report": report})


def notifications(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        raw_id = request.POST.get("id", "")
        notification = get_object_or_404(
            Notification, recipient=request.user, pk=int(raw_id) if raw_id.isdigit() else 0
        )
        actions.mark_notification_read(notification, by=request.user)
        return redirect(notification.url or "catalogue:notifications")
    unread = Notification.objects.filter(recipient=request.user, read_at__isnull=True)[:100]
    return render(request, "catalogue/notifications.html", {"notifications": unread})
