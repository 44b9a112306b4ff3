"""`/`: what Parcours is for a visitor; each signed-in role goes to its own home. The homes of
coordinators, analysts and administrators gather their work."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from parcours.accounts.models import Role, User
from parcours.cases.models import AccessLog, CaseEvent
from parcours.catalogue.models import PartnershipConvention, Service
from parcours.catalogue.reports import communes_of, coordinator_territories, coverage_for, referral_delays
from parcours.evaluation.models import Experiment, Indicator
from parcours.home.navigation import navigation_for
from parcours.organisations.models import Organisation
from parcours.profiling.models import ProfilingModel

# Where `/` sends each role, first match wins (someone both manager and counselor sees the team).
ROLE_HOMES = (
    (Role.MANAGER, "cases:team"),
    (Role.COUNSELOR, "cases:portfolio"),
    (Role.COORDINATOR, "home:coordination"),
    (Role.ANALYST, "home:analysis"),
)


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "home/visitor.html")
    for role, url_name in ROLE_HOMES:
        if user.has_role(role):
            return redirect(url_name)
    if user.is_staff:
        return redirect("home:administration")
    # No membership yet (or an administrator role without the admin site): the menu is the home.
    return render(request, "home/no_role.html", {"groups": navigation_for(user)})


def coordination(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(Role.COORDINATOR):
        raise PermissionDenied
    communes = list(communes_of(coordinator_territories(request.user))[:200])
    result = coverage_for(communes)
    context = {
        "commune_count": len(communes),
        "service_count": Service.objects.active().filter(commune__in=[c.pk for c in communes]).count(),
        "convention_count": PartnershipConvention.objects.visible_to(request.user).current().count(),
        "gap_count": len(result.gaps),
        "overlap_count": len(result.overlaps),
        "pairs": referral_delays(communes)[:10],
    }
    return render(request, "home/coordination.html", context)


def analysis(request: HttpRequest) -> HttpResponse:
    org_ids = request.user.organisation_ids(frozenset({Role.ANALYST}))
    if not org_ids:
        raise PermissionDenied
    context = {
        "indicators": Indicator.objects.order_by("code")[:50],
        "experiments": Experiment.objects.filter(organisation_id__in=org_ids)
        .select_related("organisation")
        .order_by("-pk")[:10],
        "models": ProfilingModel.objects.defer("artefact", "card_html").order_by("-is_active", "-created_at")[
            :5
        ],
    }
    return render(request, "home/analysis.html", context)


def administration(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied
    since = timezone.now() - timezone.timedelta(days=7)
    context = {
        "organisation_count": Organisation.objects.count(),
        "user_count": User.objects.filter(is_active=True).count(),
        "access_count": AccessLog.objects.filter(at__gte=since).count(),
        "event_count": CaseEvent.objects.filter(at__gte=since).count(),
    }
    return render(request, "home/administration.html", context)
