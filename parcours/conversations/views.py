"""The professionals' side of conversations with people: an inbox, the threads of an episode,
one thread. Access: the episode's staff and its consented follow-up members read and write."""

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from parcours.cases import access
from parcours.conversations import actions as conversations
from parcours.conversations.models import Attachment, Thread

ERRORS = {
    "an empty message": _("Écrivez un message ou joignez un fichier."),
    "a conversation needs a subject": _("Donnez un objet à la conversation."),
    "file too large": _("Fichier trop lourd."),
    "only PDF, PNG and JPEG files": _("Seuls les fichiers PDF, PNG et JPEG sont acceptés."),
    "the episode is closed": _("L'accompagnement est clos."),
}


def error_text(exc: ValidationError) -> str:
    return "; ".join(str(ERRORS.get(m, m)) for m in exc.messages)


def inbox(request: HttpRequest) -> HttpResponse:
    access.require_case_work(request.user)
    threads = (
        conversations.with_unread(Thread.objects.visible_to(request.user), user=request.user)
        .select_related("episode__person", "episode__organisation")
        .order_by("-last_message_at")[:100]
    )
    threads = list(threads)
    access.log_read([t.episode.person for t in threads], user=request.user, route="conversations:inbox")
    return render(request, "conversations/inbox.html", {"threads": threads})


def episode_threads(request: HttpRequest, episode_id) -> HttpResponse:
    episode = get_object_or_404(
        access.episodes(request.user).select_related("person", "organisation"),
        public_id=episode_id,
    )
    form = {"subject": "", "body": ""}
    status = 200
    if request.method == "POST":
        form = {"subject": request.POST.get("subject", ""), "body": request.POST.get("body", "")}
        try:
            thread = conversations.start_thread(
                episode,
                by=request.user,
                subject=form["subject"],
                body=form["body"],
                files=request.FILES.getlist("files"),
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            flash.error(request, error_text(exc))
            status = 400
        else:
            return redirect("conversations:thread", thread_id=thread.pk)
    threads = conversations.with_unread(Thread.objects.filter(episode=episode), user=request.user)
    access.log_read(episode.person, user=request.user, route="conversations:episode_threads")
    account = getattr(episode.person, "portal_account", None)
    return render(
        request,
        "conversations/episode_threads.html",
        {
            "episode": episode,
            "threads": threads,
            "form": form,
            "has_account": bool(account and account.is_active),
        },
        status=status,
    )


def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    current = get_object_or_404(
        Thread.objects.visible_to(request.user).select_related("episode__person", "episode__organisation"),
        pk=thread_id,
    )
    body = ""
    status = 200
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            conversations.post_message(
                current, by=request.user, body=body, files=request.FILES.getlist("files")
            )
        except ValidationError as exc:
            flash.error(request, error_text(exc))
            status = 400
        else:
            return redirect("conversations:thread", thread_id=current.pk)
    access.log_read(current.episode.person, user=request.user, route="conversations:thread")
    conversations.mark_read(current, user=request.user)
    items = current.messages.prefetch_related("attachments")
    return render(
        request, "conversations/thread.html", {"thread": current, "items": items, "body": body}, status=status
    )


def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    item = get_object_or_404(
        Attachment.objects.filter(message__thread__in=Thread.objects.visible_to(request.user)).select_related(
            "message__thread__episode__person"
        ),
        pk=attachment_id,
    )
    person = item.message.thread.episode.person
    access.log_read(person, user=request.user, route="conversations:attachment")
    return serve_attachment(item)


def serve_attachment(item: Attachment) -> HttpResponse:
    """The file as a download (at most MESSAGE_ATTACHMENT_MAX_BYTES: read in one go)."""
    with item.file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(True, item.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
