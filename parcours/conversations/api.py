"""The professionals' side of conversations with people, in JSON: the same rules and actions as
the pages of parcours/conversations/views.py. The threads a user may see are those of the episodes
cases.access lets them see (the episode's staff, consented follow-up members); any other is 404.
Every answer that shows a thread or lists threads is a read of the people's files (AccessLog)."""

import datetime
import uuid

from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.responses import Status as HttpStatus

from parcours.cases import access
from parcours.cases.person_schemas import InputSchema
from parcours.conversations import actions as conversations
from parcours.conversations.models import Attachment, Thread
from parcours.conversations.views import serve_attachment

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

router = Router(tags=["messages"])
MAX_BODY = 10000


class ThreadOut(Schema):
    id: int
    subject: str
    episode: uuid.UUID
    person: uuid.UUID
    person_name: str
    organisation: str
    last_message_at: datetime.datetime
    unread: int


class AttachmentOut(Schema):
    id: int  # download: GET /attachments/{id}
    name: str
    content_type: str
    size: int


class ThreadMessageOut(Schema):
    id: int
    author: str  # name, role and organisation of the professional, or the person's name
    by_person: bool
    body: str
    created_at: datetime.datetime
    attachments: list[AttachmentOut]


class ThreadDetailOut(ThreadOut):
    messages: list[ThreadMessageOut]


class UnreadOut(Schema):
    threads: int  # conversations with at least one message I have not read
    messages: int


class ThreadIn(InputSchema):
    subject: str = Field(..., max_length=150)
    body: str = Field(..., max_length=MAX_BODY)


class ThreadMessageIn(InputSchema):
    body: str = Field(..., max_length=MAX_BODY)


def form_text(value: str) -> str:
    """The text field of a multipart message, held to what a JSON body may carry (InputSchema)."""
    if "\x00" in value:
        raise HttpError(422, "body: text must not contain NUL characters")
    if len(value) > MAX_BODY:
        raise HttpError(422, f"body: at most {MAX_BODY} characters")
    return value


def _visible(user):
    return conversations.with_unread(Thread.objects.visible_to(user), user=user).select_related(
        "episode__person", "episode__organisation"
    )


def _thread_out(thread) -> dict:
    return {
        "id": thread.pk,
        "subject": thread.subject,
        "episode": thread.episode.public_id,
        "person": thread.episode.person.public_id,
        "person_name": str(thread.episode.person),
        "organisation": thread.episode.organisation.name,
        "last_message_at": thread.last_message_at,
        "unread": thread.unread,
    }


def attachments_out(message) -> list[dict]:
    """A message's attachments as the API shows them (staff and person sides)."""
    return [
        {"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.size}
        for a in message.attachments.all()
    ]


def _message_out(message) -> dict:
    return {
        "id": message.pk,
        "author": message.author_label,
        "by_person": message.by_person,
        "body": message.body,
        "created_at": message.created_at,
        "attachments": attachments_out(message),
    }


def _detail_out(thread) -> dict:
    out = _thread_out(thread)
    out["messages"] = [_message_out(m) for m in thread.messages.prefetch_related("attachments")]
    return out


@router.get("/threads", response=list[ThreadOut], url_name="thread_list")
def list_threads(request, unread: bool = False):
    """My inbox: the latest 100 conversations I may see, most recent first, with the number of
    messages I have not read (`unread=true`: only those). Counselors and managers (403 otherwise)."""
    access.require_case_work(request.auth)
    threads = _visible(request.auth).order_by("-last_message_at", "-pk")
    if unread:
        threads = threads.filter(unread__gt=0)
    threads = list(threads[:100])
    access.log_read([t.episode.person for t in threads], user=request.auth, route="api:thread_list")
    return [_thread_out(t) for t in threads]


@router.get("/threads/unread", response=UnreadOut, url_name="thread_unread")
def unread_counts(request):
    """How many conversations and messages I have not read (no names: not a read of a file)."""
    access.require_case_work(request.auth)
    threads = conversations.with_unread(Thread.objects.visible_to(request.auth), user=request.auth)
    counts = [n for n in threads.values_list("unread", flat=True) if n]
    return {"threads": len(counts), "messages": sum(counts)}


@router.get("/threads/{thread_id}", response=ThreadDetailOut, url_name="thread_detail")
def thread_detail(request, thread_id: int):
    """One conversation with its messages and attachments; opening it marks it read for me."""
    thread = get_object_or_404(_visible(request.auth), pk=thread_id)
    access.log_read(thread.episode.person, user=request.auth, route="api:thread_detail")
    out = _detail_out(thread)
    conversations.mark_read(thread, user=request.auth)
    return out


@router.post("/threads/{thread_id}/messages", response={201: ThreadMessageOut}, url_name="thread_post")
def post_message(request, thread_id: int, payload: ThreadMessageIn):
    """Write in a conversation (the person is told, without the text). 400 when empty or once the
    episode is closed; 403 for a role that does not write to people."""
    thread = get_object_or_404(Thread.objects.visible_to(request.auth), pk=thread_id)
    message = conversations.post_message(thread, by=request.auth, body=payload.body)
    return HttpStatus(201, _message_out(message))


@router.post("/threads/{thread_id}/files", response={201: ThreadMessageOut}, url_name="thread_post_files")
def post_files(request, thread_id: int, files: File[list[UploadedFile]], body: Form[str] = ""):
    """Write with files (`multipart/form-data`: 1 to 3 `files`, PDF, PNG or JPEG, at most
    MESSAGE_ATTACHMENT_MAX_BYTES each; an optional `body`). 400 when a file is refused."""
    thread = get_object_or_404(Thread.objects.visible_to(request.auth), pk=thread_id)
    message = conversations.post_message(thread, by=request.auth, body=form_text(body), files=files)
    return HttpStatus(201, _message_out(message))


@router.post("/threads/{thread_id}/read", response={204: None}, url_name="thread_mark_read")
def mark_read(request, thread_id: int):
    """Mark a conversation read without fetching it."""
    thread = get_object_or_404(Thread.objects.visible_to(request.auth), pk=thread_id)
    conversations.mark_read(thread, user=request.auth)
    return HttpStatus(204, None)


@router.get("/episodes/{public_id}/threads", response=list[ThreadOut], url_name="episode_thread_list")
def episode_threads(request, public_id: uuid.UUID):
    """The conversations of one episode, most recent first."""
    episode = get_object_or_404(access.episodes(request.auth), public_id=public_id)
    threads = list(_visible(request.auth).filter(episode=episode).order_by("-last_message_at", "-pk"))
    access.log_read(episode.person, user=request.auth, route="api:episode_thread_list")
    return [_thread_out(t) for t in threads]


@router.post(
    "/episodes/{public_id}/threads", response={201: ThreadDetailOut}, url_name="episode_thread_start"
)
def start_thread(request, public_id: uuid.UUID, payload: ThreadIn):
    """Start a conversation with the person about this episode (400 without a subject or text, or
    once the episode is closed)."""
    episode = get_object_or_404(access.episodes(request.auth), public_id=public_id)
    thread = conversations.start_thread(episode, by=request.auth, subject=payload.subject, body=payload.body)
    access.log_read(episode.person, user=request.auth, route="api:episode_thread_start")
    return HttpStatus(201, _detail_out(_visible(request.auth).get(pk=thread.pk)))


@router.get("/attachments/{attachment_id}", url_name="attachment", openapi_extra=FILE_RESPONSE)
def attachment(request, attachment_id: int):
    """A file joined to a message of a conversation I may see, as a download (a read of the file)."""
    item = get_object_or_404(
        Attachment.objects.filter(message__thread__in=Thread.objects.visible_to(request.auth)).select_related(
            "message__thread__episode__person"
        ),
        pk=attachment_id,
    )
    access.log_read(item.message.thread.episode.person, user=request.auth, route="api:attachment")
    return serve_attachment(item)
