"""The erasure and rectification requests of people (GDPR art. 16, 17), answered within one month
(art. 12(3)): counselors and managers record them and follow the deadlines; managers answer."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.cases import access
from parcours.organisations.models import Organisation
from parcours.people.models import name_key
from parcours.privacy import actions
from parcours.privacy.forms import DecisionForm, RightsRequestForm
from parcours.privacy.models import RightsRequest


def _organisation_ids(user) -> list[int]:
    ids = user.case_organisation_ids()
    if not ids:
        raise PermissionDenied(_("Réservé aux conseiller·ères et responsables d'équipe."))
    return ids


def _find_person(user, form: RightsRequestForm):
    """The one file of the chosen organisation matching the name (either order) and birth date."""
    data = form.cleaned_data
    wanted = {
        name_key(data["first_name"], data["last_name"]),
        name_key(data["last_name"], data["first_name"]),
    }
    candidates = (
        access.rights_request_people(user)
        .filter(birth_date=data["birth_date"], episodes__organisation=data["organisation"])
        .distinct()
    )
    matches = [p for p in candidates if name_key(p.first_name, p.last_name) in wanted]
    if not matches:
        form.add_error(
            None, _("Aucun dossier de cette organisation ne correspond à ce nom et cette date de naissance.")
        )
        return None
    if len(matches) > 1:
        form.add_error(
            None, _("Plusieurs dossiers correspondent : contactez le délégué à la protection des données.")
        )
        return None
    return matches[0]


def requests(request: HttpRequest) -> HttpResponse:
    """Open requests of the user's organisations, the nearest deadline first; the form to record one."""
    organisation_ids = _organisation_ids(request.user)
    organisations = Organisation.objects.filter(pk__in=organisation_ids).order_by("name")
    status = 200
    form = RightsRequestForm(request.POST or None, organisations=organisations)
    if request.method == "POST":
        if form.is_valid() and (person := _find_person(request.user, form)) is not None:
            data = form.cleaned_data
            created = actions.record_rights_request(
                person,
                by=request.user,
                organisation=data["organisation"],
                kind=data["kind"],
                received_on=data["received_on"],
                details=data["details"],
            )
            messages.success(
                request, _("Demande enregistrée : réponse due le %(due)s.") % {"due": created.due_on}
            )
            return redirect("privacy:request_detail", public_id=created.public_id)
        status = 400
    open_requests = (
        RightsRequest.objects.open()
        .filter(organisation_id__in=organisation_ids)
        .select_related("person", "organisation")
        .order_by("due_on", "pk")
    )
    page = Paginator(open_requests, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    access.log_read([r.person for r in page.object_list], user=request.user, route="privacy:requests")
    return render(
        request,
        "privacy/requests.html",
        {"page": page, "form": form, "today": timezone.localdate()},
        status=status,
    )


def request_detail(request: HttpRequest, public_id) -> HttpResponse:
    """One request; its managers answer it here (fulfil, or refuse with the reason)."""
    organisation_ids = _organisation_ids(request.user)
    rights_request = (
        RightsRequest.objects.filter(organisation_id__in=organisation_ids, public_id=public_id)
        .select_related("person", "organisation", "recorded_by", "decided_by")
        .first()
    )
    if rights_request is None:
        raise Http404("no such request")
    can_decide = access.can_decide_rights_request(request.user, rights_request.organisation_id)
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied(_("Seuls les responsables de l'organisation répondent aux demandes."))
        if rights_request.status != RightsRequest.Status.OPEN:
            messages.error(request, _("Cette demande a déjà reçu une réponse."))
            status = 409
        elif form.is_valid():
            try:
                if form.cleaned_data["decision"] == DecisionForm.Verb.FULFIL:
                    actions.fulfil_rights_request(
                        rights_request, by=request.user, note=form.cleaned_data["note"]
                    )
                else:
                    actions.refuse_rights_request(
                        rights_request, by=request.user, reason=form.cleaned_data["note"]
                    )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                status = 409
            else:
                messages.success(request, _("Réponse enregistrée."))
                return redirect("privacy:request_detail", public_id=rights_request.public_id)
        else:
            status = 400
    access.log_read(rights_request.person, user=request.user, route="privacy:request_detail")
    return render(
        request,
        "privacy/request_detail.html",
        {
            "rights_request": rights_request,
            "form": form,
            "can_decide": can_decide and rights_request.status == RightsRequest.Status.OPEN,
            "overdue": rights_request.is_overdue(),
        },
        status=status,
    )
