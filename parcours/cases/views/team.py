"""The manager's home: the team's caseloads per counselor and the bulk hand-over of people."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from parcours.accounts.models import Role
from parcours.cases import access, actions
from parcours.cases.forms import BulkHandOverForm, case_colleagues
from parcours.cases.locking import ConcurrentEditError
from parcours.cases.models import SupportEpisode
from parcours.organisations.models import Organisation


def _managed_organisation(request: HttpRequest) -> tuple[Organisation, list[Organisation]]:
    org_ids = request.user.organisation_ids(frozenset({Role.MANAGER}))
    if not org_ids:
        raise PermissionDenied
    organisations = list(Organisation.objects.filter(pk__in=org_ids).order_by("name"))
    wanted = request.GET.get("organisation") or request.POST.get("organisation")
    chosen = next((o for o in organisations if str(o.public_id) == wanted), organisations[0])
    return chosen, organisations


def _caseloads(organisation: Organisation, today) -> list[dict]:
    """One row per counselor or manager of the organisation, those without people included."""
    loads = {
        row["referent_id"]: row
        for row in SupportEpisode.objects.open()
        .filter(organisation=organisation)
        .values("referent_id")
        .annotate(
            people=Count("pk"),
            overdue=Count("pk", filter=Q(next_contact_due__lt=today)),
            last_contact=Max("last_contact_at"),
        )
    }
    rows = []
    for user in case_colleagues(organisation.pk):
        load = loads.get(user.pk, {})
        rows.append(
            {
                "user": user,
                "people": load.get("people", 0),
                "overdue": load.get("overdue", 0),
                "last_contact": load.get("last_contact"),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    organisation, organisations = _managed_organisation(request)
    today = timezone.localdate()
    caseloads = _caseloads(organisation, today)
    referent = next(
        (r["user"] for r in caseloads if str(r["user"].public_id) == request.GET.get("referent")), None
    )
    episodes = (
        access.episodes(request.user)
        .open()
        .filter(organisation=organisation)
        .select_related("person", "referent")
        .order_by(F("next_contact_due").asc(nulls_last=True), "pk")
    )
    if referent is not None:
        episodes = episodes.filter(referent=referent)
    page = Paginator(episodes, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    choices = [(str(e.public_id), e.person.full_name) for e in page.object_list]
    status = 200
    if request.method == "POST":
        posted = list(
            access.episodes(request.user)
            .open()
            .filter(organisation=organisation, public_id__in=_uuids(request.POST.getlist("episodes")))
            .select_related("person")
        )
        form = BulkHandOverForm(
            request.POST,
            organisation_id=organisation.pk,
            episode_choices=[(str(e.public_id), e.person.full_name) for e in posted],
        )
        if form.is_valid():
            moved, failed = _hand_over_all(request, posted, form.cleaned_data)
            if moved:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d personne confiée à %(name)s.",
                        "%(count)d personnes confiées à %(name)s.",
                        moved,
                    )
                    % {"count": moved, "name": form.cleaned_data["to_referent"]},
                )
            for name, reason in failed:
                messages.error(request, _("%(name)s : %(reason)s") % {"name": name, "reason": reason})
            return redirect(f"{reverse('cases:team')}?organisation={organisation.public_id}")
        status = 400
    else:
        form = BulkHandOverForm(organisation_id=organisation.pk, episode_choices=choices)
    context = {
        "organisation": organisation,
        "organisations": organisations,
        "caseloads": caseloads,
        "referent": referent,
        "page": page,
        "form": form,
        "selected": set(request.POST.getlist("episodes")),
        "today": today,
    }
    return render(request, "cases/team.html", context, status=status)


def _uuids(values: list[str]) -> list[str]:
    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return valid


def _hand_over_all(request, episodes, data) -> tuple[int, list[tuple[str, str]]]:
    """Each person through the one hand-over action; a refusal for one does not stop the others."""
    moved, failed = 0, []
    for episode in episodes:
        if episode.referent_id == data["to_referent"].pk:
            failed.append((episode.person.full_name, _("déjà suivi·e par cette personne")))
            continue
        try:
            actions.hand_over_episode(
                episode, by=request.user, to_referent=data["to_referent"], reason=data["reason"]
            )
            moved += 1
        except (ValidationError, PermissionDenied, ConcurrentEditError) as exc:
            failed.append((episode.person.full_name, "; ".join(getattr(exc, "messages", [str(exc)]))))
    return moved, failed
