"""The public catalogue: anyone, without an account, may look for a service (R5: a readable offer)."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from parcours.catalogue.exchange import iter_export_json
from parcours.catalogue.forms import PublicSearchForm
from parcours.catalogue.models import Service, WorkshopSession
from parcours.catalogue.search import Criteria, search_services
from parcours.organisations import communes


@login_not_required
def public_search(request: HttpRequest) -> HttpResponse:
    if request.htmx and request.htmx.trigger_name == "commune":  # suggestions while typing
        found = communes.suggest(request.GET.get("commune", ""))
        return render(request, "organisations/_commune_options.html", {"communes": found})
    form = PublicSearchForm(request.GET or None, suggest_url=request.path)
    matches, page = [], None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        criteria = Criteria(
            thematique=data["thematique"],
            public=data["public"],
            modality=data["modality"],
            commune=data["commune"],
            radius_km=30 if data["commune"] else None,
            text=data["text"],
        )
        matches = search_services(criteria, limit=200)
    elif not form.is_bound:
        matches = search_services(Criteria(radius_km=None), limit=200)
    page = Paginator(matches, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    template = "catalogue/public_search.html#results" if request.htmx else "catalogue/public_search.html"
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request, template, {"form": form, "page": page, "today": timezone.localdate()}, status=status
    )


@login_not_required
def service_detail(request: HttpRequest, public_id) -> HttpResponse:
    service = get_object_or_404(
        Service.objects.active().select_related("organisation", "site", "commune"), public_id=public_id
    )
    sessions = WorkshopSession.objects.filter(service=service, starts_at__gte=timezone.now()).select_related(
        "site"
    )[:20]
    user = request.user
    can_edit = user.is_authenticated and service.organisation_id in user.case_organisation_ids()
    return render(
        request,
        "catalogue/service_detail.html",
        {
            "service": service,
            "sessions": sessions,
            "can_edit": can_edit,
            "territories": service.territories.all()[:50],
            "is_stale": service.is_stale(),
        },
    )


@login_not_required
def export_catalogue(request: HttpRequest) -> StreamingHttpResponse:
    """The active catalogue in the data·inclusion schema (public data, like the national one)."""
    response = StreamingHttpResponse(
        iter_export_json(Service.objects.active()), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="parcours-catalogue.json"'
    return response
