"""HTML views of a person's record: the person page (identity, episodes, timeline), identity edit,
consents. URL names keep the "people:" namespace (parcours/cases/person_urls.py); creating a person
is intake (parcours/intake/views.py)."""

import datetime
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parcours.cases import access
from parcours.cases import actions as case_actions
from parcours.cases.events import event_title
from parcours.cases.forms import (
    AddFollowUpMemberForm,
    ChangeIntensityForm,
    ChangeStageForm,
    CloseEpisodeForm,
    HandOverForm,
    PlanAppointmentForm,
    RecordContactForm,
    colleague_choices,
)
from parcours.cases.locking import ConcurrentEditError
from parcours.cases.models import (
    Appointment,
    Approach,
    CaseEvent,
    EndReason,
    FollowUpMember,
    Intensity,
    ReferentAssignment,
    Stage,
    StageTransition,
)
from parcours.organisations import communes
from parcours.organisations.models import Organisation
from parcours.people.forms import ConsentForm, EditPersonForm
from parcours.people.models import Channel, Consent, Person, Status

logger = logging.getLogger(__name__)


# --- Person page ----------------------------------------------------------------------------


def _timeline_context(request: HttpRequest, person: Person, scope: access.FileScope) -> dict:
    events = (
        access.events_on_file(request.user, person, scope)
        .select_related("actor", "episode__organisation")
        .order_by("-at", "-pk")
    )
    page = Paginator(events, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("evenements"))
    describe_events(list(page.object_list), scope=scope)
    return {"timeline_page": page}


def _ledger_context(request: HttpRequest, person: Person, scope: access.FileScope) -> dict:
    """The cross-operator contact ledger (access.ledger_contacts): every contact of the person the
    user may know of, with every organisation; a summary only where the user may read it."""
    rows, readable_ids = access.ledger_contacts(request.user, person, scope)
    rows = rows.select_related("episode__organisation").order_by("-occurred_at", "-pk")
    page = Paginator(rows, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("contacts"))
    org_ids = set(request.user.case_organisation_ids())
    for contact in page.object_list:
        contact.readable = contact.pk in readable_ids
        contact.elsewhere = contact.episode.organisation_id not in org_ids
    return {"ledger_page": page}


def _episode_forms(episode, *, user, colleagues, bound: dict, all_sites: bool = False) -> dict:
    """Every form of an episode section; a bound form (after an error) replaces its blank twin."""
    prefix = f"ep{episode.pk}"
    forms = {
        "contact": RecordContactForm(
            can_see_sensitive=episode.sensitive_allowed, auto_id=f"{prefix}-contact-%s"
        ),
        "appointment": PlanAppointmentForm(auto_id=f"{prefix}-appointment-%s"),
        "stage": ChangeStageForm(episode=episode, auto_id=f"{prefix}-stage-%s"),
        "intensity": ChangeIntensityForm(episode=episode, auto_id=f"{prefix}-intensity-%s"),
        "hand_over": HandOverForm(
            episode=episode,
            colleagues=colleagues,
            all_sites=all_sites,
            auto_id=f"{prefix}-handover-%s",
        ),
        "close": CloseEpisodeForm(episode=episode, auto_id=f"{prefix}-close-%s"),
        "follow_up": AddFollowUpMemberForm(auto_id=f"{prefix}-follow-%s"),
    }
    for (episode_pk, name), form in bound.items():
        if episode_pk == episode.pk:
            forms[name] = form
    return forms


def render_person_page(
    request: HttpRequest, person: Person, *, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    """The person page. Cases views call it again with a bound form (and its errors) when a change
    made from this page fails, so nothing typed is lost."""
    user = request.user
    access.log_read(person, user=user, route="people:detail")
    # Every section below reads through this one resolution of the access rules (access.FileScope).
    scope = access.file_scope(user, person)
    if request.htmx and request.htmx.target == "timeline":
        return render(
            request,
            "people/detail.html#timeline",
            {"person": person, **_timeline_context(request, person, scope)},
        )

    org_ids = set(user.case_organisation_ids())
    episodes = list(
        scope.episodes()
        .select_related("organisation", "site", "referent")
        .prefetch_related(
            Prefetch(
                "referent_assignments",
                queryset=ReferentAssignment.objects.select_related("referent", "assigned_by").order_by(
                    "started_at"
                ),
            ),
            Prefetch(
                "follow_up_members",
                queryset=FollowUpMember.objects.filter(ended_at__isnull=True)
                .select_related("user", "organisation")
                .order_by("started_at"),
                to_attr="current_members",
            ),
            Prefetch(
                "transitions",
                queryset=StageTransition.objects.select_related("by").order_by("at", "pk"),
            ),
        )
        .order_by(F("ended_on").desc(nulls_first=True), "-started_on")
    )
    consent_orgs = access.consent_organisations(user, person, scope)
    consents = list(
        Consent.objects.filter(person=person, organisation__in=consent_orgs)
        .select_related("organisation", "recorded_by")
        .order_by("withdrawn_at", "-given_at")
    )
    consented_orgs = {
        c.organisation_id for c in consents if c.is_active and c.scope == Consent.Scope.CASE_FILE
    }
    colleagues_by_org: dict[int, list] = {}
    open_panel = request.GET.get("contact", "")
    for episode in episodes:
        episode.can_manage = episode.is_open and episode.organisation_id in org_ids
        episode.sensitive_allowed = scope.can_see_sensitive(episode)
        episode.panel_open = open_panel == str(episode.public_id)
        for follow_up in episode.current_members:
            follow_up.has_consent = follow_up.organisation_id in consented_orgs
        if episode.can_manage:
            if episode.organisation_id not in colleagues_by_org:
                colleagues_by_org[episode.organisation_id] = colleague_choices(episode.organisation_id)
            episode.forms = _episode_forms(
                episode,
                user=user,
                colleagues=colleagues_by_org[episode.organisation_id],
                bound=bound or {},
                all_sites=request.GET.get("referents", "") == str(episode.public_id),
            )
    can_manage_person = any(e.can_manage for e in episodes)
    appointments = list(
        scope.appointments()
        .filter(status=Appointment.Status.PLANNED)
        .select_related("with_user", "episode__organisation")
        .order_by("scheduled_at")[:20]
    )
    now = timezone.now()
    for appointment in appointments:
        appointment.can_manage = appointment.episode.organisation_id in org_ids
        appointment.is_past = appointment.scheduled_at < now
        # Same margin as actions.mark_appointment_held: an appointment can be held once started.
        appointment.is_started = appointment.scheduled_at <= now + datetime.timedelta(minutes=5)
    context = {
        "person": person,
        "episodes": episodes,
        "can_manage_person": can_manage_person,
        "show_sensitive": any(e.sensitive_allowed for e in episodes if e.is_open),
        "status_periods": list(person.status_periods.select_related("recorded_by")[:12]),
        "consents": consents,
        "consent_form": ConsentForm(organisations=consent_orgs, auto_id="consent-%s")
        if can_manage_person
        else None,
        "appointments": appointments,
        **_ledger_context(request, person, scope),
        **_timeline_context(request, person, scope),
    }
    return render(request, "people/detail.html", context, status=status)


@require_GET
def person_detail(request: HttpRequest, public_id) -> HttpResponse:
    return render_person_page(request, access.person_for(request.user, public_id))


# --- Identity edit ---------------------------------------------------------------------------


def _display_value(person: Person, name: str) -> str:
    value = getattr(person, name)
    if name == "preferred_channels":
        return ", ".join(person.get_preferred_channels_display()) or "—"
    if hasattr(person, f"get_{name}_display"):
        return str(getattr(person, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    return str(value) if value not in (None, "") else "—"


@require_http_methods(["GET", "POST"])
def edit_person(request: HttpRequest, public_id) -> HttpResponse:
    person = access.person_for(request.user, public_id)
    user = request.user
    access.require_manage_person(user, person)
    sensitive = access.can_see_sensitive_for_person(user, person)
    conflicts: list[tuple[str, str]] = []
    status = 200
    if request.method == "GET" and request.htmx and request.htmx.trigger_name == "commune":
        found = communes.suggest(request.GET.get("commune", ""))
        return render(request, "organisations/_commune_options.html", {"communes": found})
    if request.method == "GET":
        access.log_read(person, user=user, route="people:edit")
        form = EditPersonForm(
            instance=person, can_see_sensitive=sensitive, auto_id="person-%s", suggest_url=request.path
        )
        return render(request, "people/edit.html", {"person": person, "form": form})
    # The form works on its own copy: ModelForm validation writes the typed values into its instance.
    form = EditPersonForm(
        request.POST,
        instance=Person.objects.get(pk=person.pk),
        can_see_sensitive=sensitive,
        auto_id="person-%s",
        suggest_url=request.path,
    )
    if form.is_valid():
        try:
            with transaction.atomic():
                updated = case_actions.update_person(
                    person, by=user, expected_version=form.cleaned_data["version"], **form.person_fields()
                )
                case_actions.change_status(updated, by=user, status=form.cleaned_data["status"])
        except ConcurrentEditError:
            current = Person.objects.select_related("commune").get(pk=person.pk)
            typed = form.instance
            conflicts = [
                (str(form.fields[name].label), _display_value(current, name))
                for name in form.person_fields()
                if getattr(current, name) != getattr(typed, name)
            ]
            if current.status != form.cleaned_data["status"]:
                conflicts.append((str(form.fields["status"].label), current.get_status_display()))
            # The typed values stay; the hidden version moves on so that submitting again, after
            # reading the differences, is a deliberate choice.
            data = request.POST.copy()
            data["version"] = current.version
            form = EditPersonForm(
                data,
                instance=current,
                can_see_sensitive=sensitive,
                auto_id="person-%s",
                suggest_url=request.path,
            )
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Quelqu'un a modifié cette fiche pendant que vous la modifiiez. Rien n'a été enregistré : "
                    "vérifiez les valeurs enregistrées entre-temps ci-dessous, puis validez à nouveau si vos "
                    "modifications doivent les remplacer."
                ),
            )
            status = 409
        else:
            messages.success(request, _("Fiche mise à jour."))
            return redirect("people:detail", public_id=person.public_id)
    else:
        status = 400
    return render(
        request, "people/edit.html", {"person": person, "form": form, "conflicts": conflicts}, status=status
    )


# --- Consents ---------------------------------------------------------------------------------


@require_POST
def give_consent(request: HttpRequest, public_id) -> HttpResponse:
    person = access.person_for(request.user, public_id)
    access.require_manage_person(request.user, person)
    form = ConsentForm(request.POST, organisations=access.consent_organisations(request.user, person))
    if form.is_valid():
        case_actions.give_consent(
            person,
            by=request.user,
            organisation=form.cleaned_data["organisation"],
            scope=form.cleaned_data["scope"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Consentement enregistré."))
    else:
        messages.error(
            request, _("Consentement non enregistré : choisissez une organisation et une portée valides.")
        )
    return redirect(reverse("people:detail", kwargs={"public_id": person.public_id}) + "#consents")


@require_POST
def withdraw_consent(request: HttpRequest, public_id, consent_id: int) -> HttpResponse:
    person = access.person_for(request.user, public_id)
    access.require_manage_person(request.user, person)
    consent = get_object_or_404(
        Consent.objects.filter(
            person=person, organisation__in=access.consent_organisations(request.user, person)
        ),
        pk=consent_id,
    )
    case_actions.withdraw_consent(consent, by=request.user)
    messages.success(request, _("Consentement retiré."))
    return redirect(reverse("people:detail", kwargs={"public_id": person.public_id}) + "#consents")


# --- Timeline: readable events, with what they reference fetched in bulk ----------------------


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value or "—"))


def _when(value) -> str:
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def describe_events(events: list[CaseEvent], *, scope: access.FileScope) -> None:
    """Set `event.title`, `event.details` (one readable line) and `event.summary` (a contact's
    report) on each event of the file `scope` opens. Contacts, appointments, people and
    organisations named in event.data are read with one query per kind, whatever the number of
    events."""

    def ids(key, kinds=None):
        return {
            e.data[key]
            for e in events
            if isinstance(e.data.get(key), int) and (kinds is None or e.kind in kinds)
        }

    user_ids = ids("referent") | ids("user") | ids("from", {CaseEvent.Kind.REFERENT_CHANGED}) | ids("to")
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    org_ids = ids("organisation")
    orgs = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name")) if org_ids else {}
    contact_ids = ids("contact")
    contacts = {c.pk: c for c in scope.contacts().filter(pk__in=contact_ids)} if contact_ids else {}
    appointment_ids = ids("appointment")
    appointments = (
        {a.pk: a for a in scope.appointments().filter(pk__in=appointment_ids)} if appointment_ids else {}
    )

    def who(pk) -> str:
        found = users.get(pk)
        return (found.get_full_name() or found.username) if found else "—"

    kind = CaseEvent.Kind
    for event in events:
        data, details, event.summary = event.data or {}, "", ""
        event.title = event_title(event)
        if event.kind == kind.PERSON_UPDATED:
            labels = [str(Person._meta.get_field(f).verbose_name) for f in data.get("fields", [])]
            details = _("Champs modifiés : %(fields)s") % {"fields": ", ".join(labels)}
        elif event.kind == kind.STATUS_CHANGED:
            details = _("Situation : %(from)s → %(to)s") % {
                "from": _label(Status.choices, data.get("from")),
                "to": _label(Status.choices, data.get("to")),
            }
        elif event.kind in (kind.CONSENT_GIVEN, kind.CONSENT_WITHDRAWN):
            details = f"{orgs.get(data.get('organisation'), '—')} — {_label(Consent.Scope.choices, data.get('scope'))}"
        elif event.kind == kind.EPISODE_OPENED:
            details = _(
                "%(org)s ; référent·e : %(referent)s ; intensité : %(intensity)s ; approche : %(approach)s"
            ) % {
                "org": orgs.get(data.get("organisation"), "—"),
                "referent": who(data.get("referent")),
                "intensity": _label(Intensity.choices, data.get("intensity")),
                "approach": _label(Approach.choices, data.get("approach")),
            }
        elif event.kind == kind.STAGE_CHANGED:
            details = _("Étape : %(from)s → %(to)s") % {
                "from": _label(Stage.choices, data.get("from")),
                "to": _label(Stage.choices, data.get("to")),
            }
        elif event.kind == kind.INTENSITY_CHANGED:
            before, after = data.get("from") or {}, data.get("to") or {}
            details = _(
                "Intensité : %(from)s (%(from_days)s j) → %(to)s (%(to_days)s j) ; approche : %(approach)s ; motif : %(reason)s"
            ) % {
                "from": _label(Intensity.choices, before.get("intensity")),
                "from_days": before.get("days", "—"),
                "to": _label(Intensity.choices, after.get("intensity")),
                "to_days": after.get("days", "—"),
                "approach": _label(Approach.choices, after.get("approach")),
                "reason": data.get("reason", "—"),
            }
        elif event.kind == kind.REFERENT_CHANGED:
            details = _("Référent·e : %(from)s → %(to)s ; motif : %(reason)s") % {
                "from": who(data.get("from")),
                "to": who(data.get("to")),
                "reason": data.get("reason", "—"),
            }
        elif event.kind == kind.EPISODE_CLOSED:
            details = _("Motif de fin : %(reason)s (étape précédente : %(stage)s)") % {
                "reason": _label(EndReason.choices, data.get("reason")),
                "stage": _label(Stage.choices, data.get("from")),
            }
        elif event.kind == kind.FOLLOWER_ADDED:
            details = _("%(user)s (%(org)s), accès : %(access)s") % {
                "user": who(data.get("user")),
                "org": orgs.get(data.get("organisation"), "—"),
                "access": _label(FollowUpMember.AccessLevel.choices, data.get("access")),
            }
        elif event.kind == kind.FOLLOWER_REMOVED:
            details = who(data.get("user"))
        elif event.kind == kind.CONTACT_RECORDED:
            contact = contacts.get(data.get("contact"))
            if contact is not None:
                parts = [contact.get_channel_display(), contact.get_direction_display()]
                if contact.duration_minutes:
                    parts.append(_("%(minutes)s min") % {"minutes": contact.duration_minutes})
                if contact.section != "general":
                    parts.append(_("rubrique %(section)s") % {"section": contact.get_section_display()})
                details, event.summary = " ; ".join(parts), contact.summary
            else:
                details = _label(Channel.choices, data.get("channel"))
        elif event.kind in (
            kind.APPOINTMENT_PLANNED,
            kind.APPOINTMENT_HELD,
            kind.APPOINTMENT_MISSED,
            kind.APPOINTMENT_CANCELLED,
        ):
            appointment = appointments.get(data.get("appointment"))
            if appointment is not None:
                details = _("Rendez-vous du %(when)s (%(channel)s)") % {
                    "when": _when(appointment.scheduled_at),
                    "channel": appointment.get_channel_display(),
                }
                if appointment.purpose:
                    details += f" — {appointment.purpose}"
            else:
                details = _when(data.get("scheduled_at"))
            if data.get("cancelled_by"):
                details += " ; " + _("annulé par : %(who)s") % {
                    "who": _label(Appointment.CancelledBy.choices, data["cancelled_by"])
                }
        event.details = details
