"""The public one-time survey page, the counselor's "Mes retours" and the manager's team view."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from parcours.accounts.models import Membership, Role, User
from parcours.cases.locking import ConcurrentEditError
from parcours.evaluation import actions, surveys
from parcours.evaluation.forms import ReplyForm
from parcours.evaluation.models import SMALL_CELL_THRESHOLD, CounselorReply
from parcours.organisations.models import Organisation

logger = logging.getLogger(__name__)


def _questions(version, language: str) -> list[dict]:
    lang = "en" if language.startswith("en") else "fr"
    return [{**q, "text": q["label"].get(lang) or q["label"]["fr"]} for q in version.questions]


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def answer_survey(request: HttpRequest, token: str) -> HttpResponse:
    """Public page reached by the one-time link: unknown, tampered, expired or used → 404."""
    invitation = surveys.invitation_from_token(token)
    if invitation is None:
        raise Http404
    version = invitation.survey_version
    errors, answers = {}, {}
    if request.method == "POST":
        answers, errors = surveys.clean_answers(version, request.POST)
        if not errors:
            try:
                surveys.record_response(invitation, answers)
            except surveys.AlreadyAnswered as exc:
                raise Http404 from exc
            return render(request, "evaluation/survey_thanks.html")
    context = {
        "questions": _questions(version, get_language() or "fr"),
        "errors": errors,
        "posted": request.POST if request.method == "POST" else {},
        "moment": invitation.get_moment_display(),
        "token": token,
        "threshold": SMALL_CELL_THRESHOLD,
    }
    return render(request, "evaluation/survey_answer.html", context, status=400 if errors else 200)


def _case_organisations(user):
    return Organisation.objects.filter(pk__in=user.case_organisation_ids()).order_by("name")


@require_http_methods(["GET", "POST"])
def my_feedback(request: HttpRequest) -> HttpResponse:
    """The counselor's own results vs their team (site) and organisation, and their reply."""
    user = request.user
    organisations = list(_case_organisations(user))
    if not organisations:
        raise PermissionDenied
    organisation = next(
        (o for o in organisations if str(o.pk) == request.GET.get("organisation")), organisations[0]
    )
    start, end, period = surveys.period_bounds(request.GET.get("period"), timezone.localdate())
    period_key = period or "12m"
    membership = (
        Membership.objects.filter(user=user, organisation=organisation, is_active=True)
        .exclude(site=None)
        .first()
    )
    org_filter = Q(organisation=organisation)
    rows = [
        (_("Mes résultats"), surveys.results_by(None, org_filter & Q(counselor=user), start, end)[0]),
    ]
    if membership:
        rows.append(
            (
                _("Mon équipe (%(site)s)") % {"site": membership.site.name},
                surveys.results_by(None, org_filter & Q(site=membership.site_id), start, end)[0],
            )
        )
    rows.append((_("Mon organisation"), surveys.results_by(None, org_filter, start, end)[0]))
    by_moment = surveys.results_by("moment", org_filter & Q(counselor=user), start, end)
    reply = CounselorReply.objects.filter(
        counselor=user, organisation=organisation, period=period_key
    ).first()
    form = ReplyForm(
        initial={"text": reply.text if reply else "", "version": reply.version if reply else None}
    )
    status = 200
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                actions.save_reply(
                    by=user,
                    organisation=organisation,
                    period=period_key,
                    text=form.cleaned_data["text"],
                    expected_version=form.cleaned_data["version"],
                )
            except ConcurrentEditError:
                form.add_error(
                    None,
                    _(
                        "Votre commentaire a été modifié entre-temps (autre onglet ?) : rien n'a été "
                        "enregistré. Relisez la version actuelle puis validez à nouveau."
                    ),
                )
            except ValidationError as exc:
                form.add_error("text", exc.messages[0])
            else:
                messages.success(request, _("Commentaire enregistré."))
                return redirect(request.get_full_path())
        status = 400
    context = {
        "organisations": organisations,
        "organisation": organisation,
        "rows": rows,
        "by_moment": by_moment,
        "period": period,
        "form": form,
        "reply": reply,
        "threshold": SMALL_CELL_THRESHOLD,
    }
    return render(request, "evaluation/my_feedback.html", context, status=status)


def team_feedback(request: HttpRequest) -> HttpResponse:
    """Managers: results per counselor and per site of their organisations, with the replies."""
    org_ids = request.user.organisation_ids(frozenset({Role.MANAGER}))
    if not org_ids:
        raise PermissionDenied
    organisations = list(Organisation.objects.filter(pk__in=org_ids).order_by("name"))
    organisation = next(
        (o for o in organisations if str(o.pk) == request.GET.get("organisation")), organisations[0]
    )
    start, end, period = surveys.period_bounds(request.GET.get("period"), timezone.localdate())
    org_filter = Q(organisation=organisation)
    counselors = surveys.results_by("counselor", org_filter, start, end)
    sites = surveys.results_by("site", org_filter, start, end)
    names = dict(
        Membership.objects.filter(organisation=organisation).values_list("user_id", "user__username")
    )

    users = {u.pk: u for u in User.objects.filter(pk__in=[r["counselor"] for r in counselors])}
    site_names = dict(organisation.sites.values_list("pk", "name"))
    for row in counselors:
        user = users.get(row["counselor"])
        row["name"] = (user.get_full_name() or user.username) if user else names.get(row["counselor"], "—")
    for row in sites:
        row["name"] = site_names.get(row["site"], _("Sans site"))
    replies = (
        CounselorReply.objects.filter(organisation=organisation, period=period or "12m")
        .select_related("counselor")
        .order_by("counselor__last_name")[:200]
    )
    context = {
        "organisations": organisations,
        "organisation": organisation,
        "counselors": counselors,
        "sites": sites,
        "overall": surveys.results_by(None, org_filter, start, end)[0],
        "replies": replies,
        "period": period,
        "threshold": SMALL_CELL_THRESHOLD,
    }
    return render(request, "evaluation/team_feedback.html", context)
