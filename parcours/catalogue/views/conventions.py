"""Partnership conventions (coordinators write; signatories read) and the coverage analysis."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from parcours.accounts.models import Role
from parcours.cases.locking import ConcurrentEditError
from parcours.catalogue import actions
from parcours.catalogue import taxonomy as tx
from parcours.catalogue.coverage import svg_positions
from parcours.catalogue.forms import ConventionForm
from parcours.catalogue.models import PartnershipConvention, Service
from parcours.catalogue.reports import (
    communes_of,
    coordinator_territories,
    coverage_for,
    people_overlaps,
    referral_delays,
)

MAP_WIDTH, MAP_HEIGHT = 640, 480


def is_coordinator(user) -> bool:
    return user.has_role(Role.COORDINATOR) or user.is_superuser


def require_coordinator(request: HttpRequest) -> None:
    if not is_coordinator(request.user):
        raise PermissionDenied


def convention_list(request: HttpRequest) -> HttpResponse:
    conventions = (
        PartnershipConvention.objects.visible_to(request.user)
        .current()
        .prefetch_related("organisations", "territories")
    )
    page = Paginator(conventions.order_by("title", "pk"), settings.PARCOURS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "catalogue/convention_list.html", {"page": page, "can_edit": is_coordinator(request.user)}
    )


def _services_for_conventions(user):
    territories = coordinator_territories(user)
    return (
        Service.objects.active()
        .filter(commune__in=communes_of(territories))
        .select_related("organisation")[:500]
    )


def convention_form(request: HttpRequest, public_id=None) -> HttpResponse:
    """New convention, or (with public_id) a new version of a current one: the old one is kept."""
    require_coordinator(request)
    current = None
    if public_id:
        current = get_object_or_404(PartnershipConvention.objects.current(), public_id=public_id)
    services = Service.objects.filter(pk__in=[s.pk for s in _services_for_conventions(request.user)])
    form = ConventionForm(
        request.POST or None,
        request.FILES or None,
        instance=None,
        services_queryset=services,
        initial=_initial(current) if current else None,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        document = data.pop("document") or None
        try:
            if current:
                convention = actions.revise_convention(current, by=request.user, document=document, **data)
            else:
                convention = actions.create_convention(by=request.user, document=document, **data)
        except ConcurrentEditError:
            form.add_error(None, _("Cette convention a déjà été remplacée par une nouvelle version."))
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            messages.success(request, _("Convention enregistrée."))
            return redirect("catalogue:convention_detail", public_id=convention.public_id)
    return render(
        request,
        "catalogue/convention_form.html",
        {"form": form, "current": current},
        status=400 if request.method == "POST" else 200,
    )


def _initial(convention: PartnershipConvention) -> dict:
    return {
        "title": convention.title,
        "organisations": convention.organisations.all(),
        "publics": convention.publics,
        "territories": convention.territories.all(),
        "services": convention.services.all(),
        "referral_rules": convention.referral_rules,
        "start_on": convention.start_on,
        "end_on": convention.end_on,
    }


def convention_detail(request: HttpRequest, public_id) -> HttpResponse:
    convention = get_object_or_404(
        PartnershipConvention.objects.visible_to(request.user).select_related("replaces"), public_id=public_id
    )
    history = []
    previous = convention.replaces
    while previous is not None and len(history) < 50:
        history.append(previous)
        previous = previous.replaces
    return render(
        request,
        "catalogue/convention_detail.html",
        {
            "convention": convention,
            "history": history,
            "is_current": not PartnershipConvention.objects.filter(replaces=convention).exists(),
            "can_edit": is_coordinator(request.user),
        },
    )


def coverage(request: HttpRequest) -> HttpResponse:
    """Publics × communes of the coordinator's territory: gaps, overlaps, a map, people followed
    twice (counts) and referral delays between operators."""
    require_coordinator(request)
    communes = list(communes_of(coordinator_territories(request.user))[:200])
    result = coverage_for(communes)
    public = request.GET.get("public", "")
    if public not in tx.SPECIFIC_PUBLICS:
        public = ""
    names = {str(c.pk): c.name for c in communes}
    rows = [(names[key], [(p, result.cell(p, key)) for p in result.publics]) for key in result.communes]
    counts = result.commune_counts(public or None)
    positions = svg_positions(
        {
            str(c.pk): (c.latitude, c.longitude)
            for c in communes
            if c.latitude is not None and c.longitude is not None
        },
        MAP_WIDTH,
        MAP_HEIGHT,
    )
    points = [
        {"name": names[key], "x": x, "y": y, "count": counts[key], "level": _level(counts[key], bool(public))}
        for key, (x, y) in positions.items()
    ]
    return render(
        request,
        "catalogue/coverage.html",
        {
            "publics": [(p, tx.PUBLIC_LABELS[p]) for p in result.publics],
            "public": public,
            "public_label": tx.PUBLIC_LABELS.get(public, ""),
            "rows": rows,
            "gap_count": len(result.gaps),
            "overlap_count": len(result.overlaps),
            "points": points,
            "map_width": MAP_WIDTH,
            "map_height": MAP_HEIGHT,
            "people": people_overlaps(request.user, communes),
            "pairs": referral_delays(communes),
        },
    )


def _level(count: int, per_public: bool) -> str:
    """Colour class of a commune on the map; the number is always written too (not colour only)."""
    if per_public:
        return "gap" if count == 0 else ("overlap" if count > 1 else "covered")
    return "covered" if count == 0 else ("overlap" if count <= 3 else "gap")
