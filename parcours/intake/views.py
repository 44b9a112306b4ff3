"""Pages of intake: a new person (duplicates shown first) and a new episode for a person already
known. Both call parcours.intake.actions; the person page itself belongs to cases."""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from parcours.cases import access
from parcours.cases.forms import OpenEpisodeForm
from parcours.cases.models import SupportEpisode
from parcours.intake import actions
from parcours.organisations import communes
from parcours.outcomes.forms import CurrentJobForm
from parcours.people.forms import CreatePersonForm
from parcours.people.models import Person

logger = logging.getLogger(__name__)


def _describe_candidates(user, candidates: list[tuple[Person, int]]) -> list[dict]:
    ids = [p.pk for p, _score in candidates]
    visible = set(access.people(user).filter(pk__in=ids).values_list("pk", flat=True))
    with_open_episode = set(
        SupportEpisode.objects.open()
        .filter(person_id__in=ids, organisation_id__in=user.case_organisation_ids())
        .values_list("person_id", flat=True)
    )
    return [
        {
            "person": p,
            "score": score,
            "visible": p.pk in visible,
            "has_open_episode": p.pk in with_open_episode,
        }
        for p, score in candidates
    ]


def _episode_fields(user, data: dict) -> dict:
    return {
        "organisation": data["organisation"],
        "referent": data.get("referent") or user,
        "intensity": data["intensity"],
        "approach": data["approach"],
        "site": data.get("site"),
    }


def _typed(form, data) -> bool:
    """Whether anything was typed in the form (a choice left at its default counts as nothing)."""
    for name, field in form.fields.items():
        value = (data.get(form.add_prefix(name)) or "").strip()
        if value and value != str(form.get_initial_for_field(field, name) or ""):
            return True
    return False


def _cannot_open(exc: ValidationError) -> str:
    return _("Impossible d'ouvrir l'accompagnement : %(detail)s") % {"detail": "; ".join(exc.messages)}


@require_http_methods(["GET", "POST"])
def create_person(request: HttpRequest) -> HttpResponse:
    """The form. On submit, possible duplicates among the people the user's organisations can
    reach are shown first; "créer quand même" submits again with everything typed."""
    user = request.user
    access.require_case_work(user)
    if request.htmx and request.htmx.trigger_name == "commune":
        return render(
            request,
            "organisations/_commune_options.html",
            {"communes": communes.suggest(request.GET.get("commune", ""))},
        )
    data = request.POST if request.method == "POST" else None
    person_form = CreatePersonForm(data, auto_id="person-%s", suggest_url=request.path)
    episode_form = OpenEpisodeForm(data, user=user, auto_id="episode-%s")
    job_form = CurrentJobForm(data, prefix="job", auto_id="job-%s")
    candidates: list[dict] = []
    status = 200
    if data is not None:
        person_ok, episode_ok = person_form.is_valid(), episode_form.is_valid()
        # The current job is asked of a person employed at entry only (intake.actions.EMPLOYED_AT_ENTRY).
        employed = data.get("status") in actions.EMPLOYED_AT_ENTRY
        job_ok = job_form.is_valid() if employed else not _typed(job_form, data)
        if not employed and not job_ok:
            job_form.add_error(
                None,
                _(
                    "L'emploi actuel ne se remplit que pour une personne salariée ou indépendante : videz ces champs ou changez la situation."
                ),
            )
        status = 400
        if person_ok and episode_ok and job_ok:
            try:
                episode = actions.admit_person(
                    by=user,
                    person_fields=person_form.person_fields(),
                    status=person_form.cleaned_data["status"],
                    ignore_duplicates=person_form.cleaned_data["confirm_new"],
                    invite_to_portal=person_form.cleaned_data["invite_to_portal"],
                    current_job=job_form.job_fields() if employed else None,
                    **_episode_fields(user, episode_form.cleaned_data),
                )
            except actions.PossibleDuplicates as found:
                candidates, status = _describe_candidates(user, found.matches), 200
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and set(exc.error_dict) <= set(job_form.fields):
                    for field, errors in exc.message_dict.items():
                        job_form.add_error(field, errors)
                else:
                    episode_form.add_error(None, _cannot_open(exc))
            else:
                messages.success(request, _("Personne enregistrée et accompagnement ouvert."))
                return redirect("people:detail", public_id=episode.person.public_id)
    context = {
        "person_form": person_form,
        "episode_form": episode_form,
        "job_form": job_form,
        "candidates": candidates,
    }
    return render(request, "people/create.html", context, status=status)


@require_http_methods(["GET", "POST"])
def open_episode(request: HttpRequest, person_public_id) -> HttpResponse:
    """Open an episode for a person already known: found as a duplicate, or whose previous episode
    with the user's organisation is closed (so no longer visible to the user)."""
    user = request.user
    if not user.case_organisation_ids():
        raise Http404  # no case work here: nothing to show, as for any other hidden object
    person = get_object_or_404(access.reachable_people(user), public_id=person_public_id)
    form = OpenEpisodeForm(request.POST or None, user=user, auto_id="episode-%s")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.open_episode(person, by=user, **_episode_fields(user, form.cleaned_data))
            except ValidationError as exc:
                form.add_error(None, _cannot_open(exc))
            else:
                messages.success(request, _("Accompagnement ouvert."))
                return redirect("people:detail", public_id=person.public_id)
        status = 400
    else:
        access.log_read(person, user=user, route="intake:open_episode")
    previous = (
        SupportEpisode.objects.filter(person=person, organisation_id__in=user.case_organisation_ids())
        .select_related("organisation", "referent")
        .order_by("-started_on")[:10]
    )
    context = {"person": person, "form": form, "previous_episodes": previous}
    return render(request, "cases/open_episode.html", context, status=status)
