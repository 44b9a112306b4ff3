"""The person's conversations with the professionals of their episodes."""

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from parcours.conversations import actions as conversations
from parcours.conversations.models import Attachment, Thread
from parcours.conversations.views import error_text, serve_attachment
from parcours.portal import scope
from parcours.portal.auth import person_required


def _own_threads(person):
    return Thread.objects.for_person(person)


@person_required
def threads(request: HttpRequest) -> HttpResponse:
    person = request.person
    mine = conversations.with_unread(_own_threads(person), user=None).select_related("episode__organisation")
    episodes = list(scope.own_episodes(person).open().select_related("organisation"))
    form = {"subject": "", "body": "", "episode": ""}
    status = 200
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in form}
        episode = next((e for e in episodes if str(e.public_id) == form["episode"]), None)
        if episode is None and len(episodes) == 1:
            episode = episodes[0]
        if episode is None:
            flash.error(request, "Choisissez l'accompagnement concerné.")
            status = 400
        else:
            try:
                thread = conversations.start_thread(
                    episode,
                    by=None,
                    subject=form["subject"],
                    body=form["body"],
                    files=request.FILES.getlist("files"),
                )
            except ValidationError as exc:
                flash.error(request, error_text(exc))
                status = 400
            else:
                return redirect("portal:thread", thread_id=thread.pk)
    return render(
        request, "portal/threads.html", {"threads": mine, "episodes": episodes, "form": form}, status=status
    )


@person_required
def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    current = get_object_or_404(
        _own_threads(request.person).select_related("episode__organisation"), pk=thread_id
    )
    body = ""
    status = 200
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            conversations.post_message(current, by=None, body=body, files=request.FILES.getlist("files"))
        except ValidationError as exc:
            flash.error(request, error_text(exc))
            status = 400
        else:
            return redirect("portal:thread", thread_id=current.pk)
    conversations.mark_read(current, user=None)
    items = current.messages.prefetch_related("attachments")
    return render(
        request, "portal/thread.html", {"thread": current, "items": items, "body": body}, status=status
    )


@person_required
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    item = get_object_or_404(
        Attachment.objects.filter(message__thread__episode__person=request.person), pk=attachment_id
    )
    return serve_attachment(item)
