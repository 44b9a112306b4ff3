"""What the person does on their own (100 % online support, issue 12 items 2 and 8): fill a
self-diagnosis, explore occupations, see the job offers that match their career project.

The self-diagnosis is the counselor's questionnaire, filled through the same section pages
(`diagnosis.views.fill_section_page`) on the person's own drafts only (`scope.own_diagnoses`).
Occupations are public reference data (ROME); offers are ranked by the matcher of the market app
from the person's own career project and commune, nothing else."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from parcours.diagnosis import questionnaire as q
from parcours.diagnosis.models import Diagnosis
from parcours.diagnosis.views import fill_section_page, review_context
from parcours.labour.esco_links import esco_matches
from parcours.labour.forms import OccupationSearchForm
from parcours.labour.models import JobTitle, Occupation
from parcours.labour.normalising import search_occupations
from parcours.labour.skills import neighbours, occupation_gaps
from parcours.market.forms import PersonOfferForm
from parcours.market.matching import criteria_for_episode, match_offers
from parcours.market.models import JobOffer
from parcours.portal import actions as portal_actions
from parcours.portal import scope
from parcours.portal.auth import person_required

OFFERS_PER_EPISODE = 20

# --- My self-diagnosis ---------------------------------------------------------------------------


@person_required
def self_diagnosis(request: HttpRequest) -> HttpResponse:
    """My self-diagnoses (drafts to finish, answers sent) and, for an open episode without a
    draft, the button to start one."""
    person = request.person
    mine = list(
        scope.own_diagnoses(person)
        .select_related("episode__organisation", "questionnaire_version__questionnaire")
        .order_by("-created_at", "-pk")
    )
    drafting = {d.episode_id for d in mine if not d.is_completed}
    startable = [
        e for e in scope.own_episodes(person).open().select_related("organisation") if e.pk not in drafting
    ]
    for diagnosis in mine:
        diagnosis.total = len(q.sections(diagnosis.definition))
    return render(request, "portal/self_diagnosis.html", {"diagnoses": mine, "startable": startable})


@require_POST
@person_required
def start_self_diagnosis(request: HttpRequest) -> HttpResponse:
    episode = scope.get_own(scope.own_episodes(request.person).open(), public_id=request.POST.get("episode"))
    try:
        diagnosis = portal_actions.start_self_diagnosis(episode, person=request.person)
    except ValidationError:
        messages.error(request, _("L'autodiagnostic n'est pas disponible pour le moment."))
        return redirect("portal:self_diagnosis")
    return redirect("portal:self_diagnosis_section", diagnosis_id=diagnosis.public_id, index=1)


def _own_draft(request, diagnosis_id) -> Diagnosis:
    diagnosis = get_object_or_404(
        scope.own_diagnoses(request.person).select_related("questionnaire_version", "episode"),
        public_id=diagnosis_id,
    )
    if diagnosis.is_completed:
        raise Http404("already sent")
    return diagnosis


@require_http_methods(["GET", "POST"])
@person_required
def self_diagnosis_section(request: HttpRequest, diagnosis_id, index: int) -> HttpResponse:
    diagnosis = _own_draft(request, diagnosis_id)
    total = len(q.sections(diagnosis.definition))

    def urls(i: int) -> str:
        if i > total:
            return reverse("portal:self_diagnosis_send", kwargs={"diagnosis_id": diagnosis.public_id})
        return reverse(
            "portal:self_diagnosis_section", kwargs={"diagnosis_id": diagnosis.public_id, "index": i}
        )

    return fill_section_page(
        request, diagnosis, index, by=None, urls=urls, base="portal/base.html", can_see_sensitive=True
    )


@require_http_methods(["GET", "POST"])
@person_required
def self_diagnosis_send(request: HttpRequest, diagnosis_id) -> HttpResponse:
    """GET: my answers to read again; POST: send them to my counselor."""
    diagnosis = _own_draft(request, diagnosis_id)
    if request.method == "POST":
        try:
            portal_actions.send_self_diagnosis(diagnosis, person=request.person)
        except ValidationError:
            messages.error(
                request, _("Cet autodiagnostic ne peut plus être envoyé : l'accompagnement est terminé.")
            )
        else:
            messages.success(request, _("Vos réponses sont envoyées. Votre conseiller·ère est prévenu·e."))
        return redirect("portal:self_diagnosis")
    context = review_context(
        diagnosis,
        lambda i: reverse(
            "portal:self_diagnosis_section", kwargs={"diagnosis_id": diagnosis.public_id, "index": i}
        ),
    )
    return render(request, "portal/self_diagnosis_send.html", context)


# --- Occupations ---------------------------------------------------------------------------------


@person_required
def occupations(request: HttpRequest) -> HttpResponse:
    """Explore occupations: free text through the job-title normaliser."""
    form = OccupationSearchForm(request.GET or None)
    results, searched = [], False
    if form.is_valid() and form.cleaned_data["q"]:
        searched = True
        results, _used_normaliser = search_occupations(form.cleaned_data["q"], top=10)
    return render(
        request, "portal/occupations.html", {"form": form, "results": results, "searched": searched}
    )


@person_required
def occupation(request: HttpRequest, rome_code: str) -> HttpResponse:
    occupation = get_object_or_404(
        Occupation.objects.select_related("domain__parent"), rome_code=rome_code.upper()
    )
    context = {
        "occupation": occupation,
        "gaps": occupation_gaps(occupation, set()),
        "titles": JobTitle.objects.filter(occupation=occupation, is_active=True).order_by(
            "-is_main", "label"
        ),
        "neighbours": neighbours(occupation),
        "esco_matches": esco_matches(occupation),
        "detail_route": "portal:occupation",
    }
    return render(request, "portal/occupation.html", context)


# --- Offers --------------------------------------------------------------------------------------


@person_required
def offers(request: HttpRequest) -> HttpResponse:
    """The offers closest to my career project (targets, skills) near my commune, per open episode."""
    person = request.person
    form = PersonOfferForm(request.GET or None)
    wanted = form.values()
    sections = []
    for episode in scope.own_episodes(person).open().select_related("organisation", "person__commune"):
        criteria = criteria_for_episode(
            episode,
            radius_km=wanted["radius_km"],
            contract_types=wanted["contract_types"],
            full_time=wanted["full_time"],
        )
        usable = bool(criteria.rome_codes or criteria.has_location)
        matches = match_offers(criteria, limit=OFFERS_PER_EPISODE) if usable else []
        labels = dict(
            Occupation.objects.filter(rome_code__in=criteria.rome_codes).values_list("rome_code", "label")
        )
        sections.append(
            {
                "episode": episode,
                "targets": [(code, labels.get(code, code)) for code in criteria.rome_codes],
                "has_location": criteria.has_location,
                "radius_km": criteria.radius_km,
                "matches": matches,
            }
        )
    return render(request, "portal/offers.html", {"sections": sections, "form": form})


@require_POST
@person_required
def offer_interest(request: HttpRequest, offer_id: int) -> HttpResponse:
    """ "Cette offre m'intéresse": a conversation with the counselor of the chosen episode."""
    episode = scope.get_own(scope.own_episodes(request.person).open(), public_id=request.POST.get("episode"))
    offer = get_object_or_404(JobOffer.objects.matchable(), pk=offer_id)
    try:
        thread = portal_actions.express_interest_in_offer(episode, offer, person=request.person)
    except ValidationError:
        messages.error(request, _("Votre message n'a pas pu être envoyé : écrivez à votre conseiller·ère."))
        return redirect("portal:offers")
    messages.success(request, _("Votre conseiller·ère est prévenu·e : vous pouvez continuer l'échange ici."))
    return redirect("portal:thread", thread_id=thread.pk)
