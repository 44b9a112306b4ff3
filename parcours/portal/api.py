"""The person's JSON API under /api/v1/me/…, authenticated by the session of their space (not a
staff token: a staff user gets 401). Every query starts from the logged-in person
(parcours.portal.scope), so an id of anyone else's is 404. Writes call the same actions as the
pages: parcours.agenda for booking and cancelling, parcours.conversations for messages,
parcours.portal.actions for the plan (diagnosis.actions.update_action with by_person=True) and
consents."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.responses import Status as HttpStatus
from ninja.security import APIKeyCookie
from pydantic import model_validator

from parcours.agenda import actions as agenda
from parcours.cases.person_schemas import InputSchema
from parcours.conversations import actions as conversations
from parcours.conversations.api import attachments_out, form_text
from parcours.conversations.models import Attachment, Thread
from parcours.conversations.views import serve_attachment
from parcours.people.models import Consent
from parcours.portal import actions as portal_actions
from parcours.portal import scope
from parcours.portal.auth import current_account


class PersonSessionAuth(APIKeyCookie):
    """The session cookie of the person's space (CSRF checked on unsafe methods)."""

    def __init__(self):
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__()

    def authenticate(self, request, key):
        account = current_account(request)
        if account is None:
            return None
        request.person = account.person
        return account


# The file itself: one of the types conversations.actions.ALLOWED_TYPES lets through.
FILE_RESPONSE = {
    "responses": {
        200: {
            "description": "Le fichier (PDF, PNG ou JPEG), en téléchargement",
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in conversations.ALLOWED_TYPES
            },
        }
    }
}

router = Router(tags=["ma page (personne)"], auth=PersonSessionAuth())


class MyAppointmentOut(Schema):
    id: int
    scheduled_at: datetime.datetime
    duration_minutes: int
    channel: str
    status: str
    organisation: str
    site: str | None
    self_booked: bool
    can_cancel: bool


class MyActionOut(Schema):
    id: int
    goal: str
    status: str
    due_on: datetime.date | None
    person_note: str
    organisation: str


class MyAttachmentOut(Schema):
    id: int  # download: GET /me/attachments/{id}
    name: str
    content_type: str
    size: int


class MyMessageOut(Schema):
    author: str
    body: str
    created_at: datetime.datetime
    attachments: list[MyAttachmentOut]


class MyThreadOut(Schema):
    id: int
    subject: str
    organisation: str
    last_message_at: datetime.datetime
    unread: int


class MyThreadDetailOut(MyThreadOut):
    messages: list[MyMessageOut]


class SlotOut(Schema):
    episode: uuid.UUID
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    channel: str
    site: str | None


class MyThreadIn(InputSchema):
    # Which of my open episodes the conversation is about; may be left out when I have only one.
    episode: uuid.UUID | None = None
    subject: str = Field(..., max_length=150)
    body: str = Field(..., max_length=10000)


class MyMessageIn(InputSchema):
    body: str = Field(..., max_length=10000)


class MyActionIn(InputSchema):
    """`done`: true marks the action done, false not done yet; `note`: my note for the counselor
    (replaces the previous one; an empty text removes it). At least one of the two."""

    done: bool | None = None
    note: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def something_to_change(self):
        if self.done is None and self.note is None:
            raise ValueError("give done or note")
        return self


class MyConsentScopeOut(Schema):
    scope: Consent.Scope
    label: str
    given: bool


class MyConsentsOut(Schema):
    organisation: uuid.UUID
    organisation_name: str
    scopes: list[MyConsentScopeOut]


class MyConsentIn(InputSchema):
    organisation: uuid.UUID
    scope: Consent.Scope
    give: bool


class BookIn(Schema):
    episode: uuid.UUID
    starts_at: datetime.datetime


def _appointment_out(appointment, now) -> dict:
    return {
        "id": appointment.pk,
        "scheduled_at": appointment.scheduled_at,
        "duration_minutes": appointment.duration_minutes,
        "channel": appointment.channel,
        "status": appointment.status,
        "organisation": appointment.episode.organisation.name,
        "site": appointment.site.name if appointment.site_id else None,
        "self_booked": appointment.created_by_id is None,
        "can_cancel": agenda.can_cancel(appointment, now),
    }


def _my_appointments(request):
    return scope.own_appointments(request.person).select_related("episode__organisation", "site")


@router.get("/me/appointments", response=list[MyAppointmentOut], url_name="me_appointments")
def my_appointments(request, upcoming: bool = False):
    """My appointments, latest first (`upcoming=true`: planned and to come, soonest first)."""
    now = timezone.now()
    mine = _my_appointments(request)
    mine = mine.upcoming().order_by("scheduled_at") if upcoming else mine.order_by("-scheduled_at")
    return [_appointment_out(a, now) for a in mine[:200]]


@router.get("/me/slots", response=list[SlotOut], url_name="me_slots")
def my_slots(request):
    """The free slots I may book: my referents' published hours, within the organisation's rules."""
    return [
        {
            "episode": episode.public_id,
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "channel": slot.channel,
            "site": slot.site_name or None,
        }
        for episode in agenda.bookable_episodes(request.person)
        for slot in agenda.bookable_slots(episode)
    ]


@router.post("/me/appointments", response={201: MyAppointmentOut}, url_name="me_book")
def book(request, payload: BookIn):
    """Book a free slot (409 when it is taken or no longer offered)."""
    episode = next(
        (e for e in agenda.bookable_episodes(request.person) if e.public_id == payload.episode), None
    )
    if episode is None:
        raise HttpError(404, "not found")
    try:
        appointment = agenda.book_slot(episode, starts_at=payload.starts_at)
    except ValidationError as exc:
        raise HttpError(409, "; ".join(exc.messages)) from exc
    return HttpStatus(201, _appointment_out(appointment, timezone.now()))


@router.post("/me/appointments/{appointment_id}/cancel", response=MyAppointmentOut, url_name="me_cancel")
def cancel(request, appointment_id: int):
    """Cancel within the organisation's notice (409 when too late or no longer planned)."""
    appointment = get_object_or_404(_my_appointments(request), pk=appointment_id)
    try:
        appointment = agenda.cancel_by_person(appointment)
    except ValidationError as exc:
        raise HttpError(409, "; ".join(exc.messages)) from exc
    return _appointment_out(appointment, timezone.now())


def _action_out(action) -> dict:
    return {
        "id": action.pk,
        "goal": action.goal,
        "status": action.status,
        "due_on": action.due_on,
        "person_note": action.person_note,
        "organisation": action.plan.episode.organisation.name,
    }


@router.get("/me/plan", response=list[MyActionOut], url_name="me_plan")
def my_plan(request):
    """The actions of my open episodes' plans."""
    return [
        _action_out(a)
        for a in scope.own_actions(request.person)
        .filter(plan__episode__ended_on__isnull=True)
        .select_related("plan__episode__organisation")
        .order_by("due_on", "pk")
    ]


@router.patch("/me/plan/{action_id}", response=MyActionOut, url_name="me_update_action")
def update_my_action(request, action_id: int, payload: MyActionIn):
    """Mark one of my actions done or not done yet, and/or write my note for the counselor (who is
    told by e-mail, without the note). 400 once the episode is closed."""
    action = get_object_or_404(scope.own_actions(request.person), pk=action_id)
    action = portal_actions.update_own_action(
        action, person=request.person, done=payload.done, note=payload.note
    )
    action = scope.own_actions(request.person).select_related("plan__episode__organisation").get(pk=action.pk)
    return _action_out(action)


def _consents_out(person, organisations) -> list[dict]:
    active = {
        (c.organisation_id, c.scope)
        for c in scope.own_consents(person).active().only("organisation_id", "scope")
    }
    return [
        {
            "organisation": organisation.public_id,
            "organisation_name": organisation.name,
            "scopes": [
                {"scope": value, "label": str(label), "given": (organisation.pk, value) in active}
                for value, label in Consent.Scope.choices
            ],
        }
        for organisation in organisations
    ]


@router.get("/me/consents", response=list[MyConsentsOut], url_name="me_consents")
def my_consents(request):
    """For each organisation I deal with, each scope of consent and whether it is given now."""
    return _consents_out(request.person, portal_actions.consent_organisations(request.person))


@router.post("/me/consents", response=MyConsentsOut, url_name="me_change_consent")
def change_my_consent(request, payload: MyConsentIn):
    """Give (`give: true`) or withdraw a consent, effective at once; the organisation's people in
    charge of me are told. 404 for an organisation I do not deal with."""
    organisation = get_object_or_404(
        portal_actions.consent_organisations(request.person), public_id=payload.organisation
    )
    portal_actions.change_own_consent(
        request.person, organisation=organisation, scope=Consent.Scope(payload.scope).value, give=payload.give
    )
    return _consents_out(request.person, [organisation])[0]


def _thread_out(thread) -> dict:
    return {
        "id": thread.pk,
        "subject": thread.subject,
        "organisation": thread.episode.organisation.name,
        "last_message_at": thread.last_message_at,
        "unread": thread.unread,
    }


def _my_threads(request):
    return conversations.with_unread(Thread.objects.for_person(request.person), user=None).select_related(
        "episode__organisation"
    )


@router.get("/me/messages", response=list[MyThreadOut], url_name="me_threads")
def my_threads(request):
    """My conversations, with the number of messages I have not read."""
    return [_thread_out(t) for t in _my_threads(request).order_by("-last_message_at")]


def _message_out(message) -> dict:
    return {
        "author": "Moi" if message.author_id is None else message.author_label,
        "body": message.body,
        "created_at": message.created_at,
        "attachments": attachments_out(message),
    }


def _thread_detail_out(thread) -> dict:
    out = _thread_out(thread)
    messages = thread.messages.order_by("created_at", "pk").prefetch_related("attachments")
    out["messages"] = [_message_out(m) for m in messages]
    return out


@router.post("/me/messages", response={201: MyThreadDetailOut}, url_name="me_start_thread")
def start_my_thread(request, payload: MyThreadIn):
    """Start a conversation about one of my open episodes (`episode` may be left out when I have
    only one; 404 for an episode that is not one of my open ones, 400 without a subject or text)."""
    episodes = list(scope.own_episodes(request.person).open())
    if payload.episode is None:
        if len(episodes) != 1:
            raise HttpError(400, "choose the episode")
        episode = episodes[0]
    else:
        episode = next((e for e in episodes if e.public_id == payload.episode), None)
        if episode is None:
            raise HttpError(404, "not found")
    thread = conversations.start_thread(episode, by=None, subject=payload.subject, body=payload.body)
    return HttpStatus(201, _thread_detail_out(_my_threads(request).get(pk=thread.pk)))


@router.get("/me/messages/{thread_id}", response=MyThreadDetailOut, url_name="me_thread")
def my_thread(request, thread_id: int):
    """One conversation and its messages (reading it marks it read)."""
    thread = get_object_or_404(_my_threads(request), pk=thread_id)
    out = _thread_detail_out(thread)
    conversations.mark_read(thread, user=None)
    return out


@router.post("/me/messages/{thread_id}", response={201: MyMessageOut}, url_name="me_post_message")
def post_my_message(request, thread_id: int, payload: MyMessageIn):
    """Answer in one of my conversations (the professionals are told, without the text; 400 when
    empty or once the episode is closed). Attachments are sent from the page, not the API."""
    thread = get_object_or_404(Thread.objects.for_person(request.person), pk=thread_id)
    message = conversations.post_message(thread, by=None, body=payload.body)
    return HttpStatus(201, _message_out(message))


@router.post("/me/messages/{thread_id}/files", response={201: MyMessageOut}, url_name="me_post_files")
def post_my_files(
    request,
    thread_id: int,
    files: File[list[UploadedFile]],
    body: Form[str] = "",
):
    """Answer with files (`multipart/form-data`: 1 to 3 `files`, PDF, PNG or JPEG, at most
    MESSAGE_ATTACHMENT_MAX_BYTES each, checked by their first bytes; an optional `body`). 400 when
    a file is refused, as on the page."""
    thread = get_object_or_404(Thread.objects.for_person(request.person), pk=thread_id)
    message = conversations.post_message(thread, by=None, body=form_text(body), files=files)
    return HttpStatus(201, _message_out(message))


@router.post("/me/messages/{thread_id}/read", response=MyThreadOut, url_name="me_mark_read")
def mark_my_thread_read(request, thread_id: int):
    """Mark one of my conversations read without fetching its messages."""
    thread = get_object_or_404(Thread.objects.for_person(request.person), pk=thread_id)
    conversations.mark_read(thread, user=None)
    return _thread_out(_my_threads(request).get(pk=thread.pk))


@router.get("/me/attachments/{attachment_id}", url_name="me_attachment", openapi_extra=FILE_RESPONSE)
def my_attachment(request, attachment_id: int):
    """A file joined to a message of one of my conversations, as a download (PDF, PNG or JPEG)."""
    item = get_object_or_404(
        Attachment.objects.filter(message__thread__in=Thread.objects.for_person(request.person)),
        pk=attachment_id,
    )
    return serve_attachment(item)
