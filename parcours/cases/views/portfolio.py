""" "Mes personnes" (the portfolio) and the contact alerts: lists with a bounded number of queries."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from parcours.accounts.models import Role
from parcours.cases import access
from parcours.cases.forms import PortfolioFilterForm
from parcours.cases.models import Appointment


def with_next_appointment(queryset):
    """Annotate the date of the next planned appointment (one subquery, not one query per row)."""
    upcoming = Appointment.objects.filter(
        episode=OuterRef("pk"), status=Appointment.Status.PLANNED, scheduled_at__gte=timezone.now()
    ).order_by("scheduled_at")
    return queryset.annotate(next_appointment_at=Subquery(upcoming.values("scheduled_at")[:1]))


@require_GET
def portfolio(request: HttpRequest) -> HttpResponse:
    """The user's open episodes as referent; a manager may widen to all open episodes of the
    organisations they manage ("toute l'équipe")."""
    access.require_case_work(request.user)
    user = request.user
    managed_org_ids = user.organisation_ids(frozenset({Role.MANAGER}))
    form = PortfolioFilterForm(request.GET or None, is_manager=bool(managed_org_ids))
    if form.is_bound:
        form.is_valid()  # invalid filters are shown with their error and ignored
    team = bool(form.is_bound and form.cleaned_data.get("team") and managed_org_ids)
    episodes = access.open_episodes(user)
    episodes = (
        episodes.filter(organisation_id__in=managed_org_ids) if team else episodes.filter(referent=user)
    )
    episodes = with_next_appointment(form.filter(episodes))
    # The referent's column is shown in the team's view only.
    related = ("person", "organisation", "referent") if team else ("person", "organisation")
    episodes = episodes.select_related(*related).order_by(
        # Same order as the (referent|organisation, ended_on, next_contact_due) indexes.
        F("next_contact_due").asc(nulls_last=True),
        "pk",
    )
    page = Paginator(episodes, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    access.log_read([episode.person for episode in page], user=user, route="cases:portfolio")
    context = {"form": form, "page": page, "team": team, "today": timezone.localdate()}
    template = "cases/portfolio.html#results" if request.htmx else "cases/portfolio.html"
    return render(request, template, context)


@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    """People whose last contact is older than their intensity target, oldest overdue first:
    one's own as referent; a manager also sees every overdue episode of the teams they manage."""
    access.require_case_work(request.user)
    user = request.user
    managed_org_ids = user.organisation_ids(frozenset({Role.MANAGER}))
    today = timezone.localdate()
    episodes = access.open_episodes(user).overdue(today)
    if managed_org_ids:
        episodes = episodes.filter(Q(referent=user) | Q(organisation_id__in=managed_org_ids))
    else:
        episodes = episodes.filter(referent=user)
    episodes = episodes.select_related("person", "organisation", "referent").order_by(
        "next_contact_due", "pk"
    )
    page = Paginator(episodes, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    for episode in page.object_list:
        episode.days_overdue = (today - episode.next_contact_due).days
    context = {"page": page, "is_manager": bool(managed_org_ids), "today": today}
    return render(request, "cases/alerts.html", context)
