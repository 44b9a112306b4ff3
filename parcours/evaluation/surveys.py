"""Satisfaction surveys: which moments are due, sending one-time links on the person's channel,
pseudonymised answers and results with small-cell suppression.

Pseudonymisation: an answer stores the counselor, organisation, site, moment, survey version,
date and answers — never the person, the episode or the invitation. ``person_key`` and
``episode_key`` are HMAC-SHA256 of the ids keyed with SECRET_KEY: stable (the same person always
gives the same key, to count people and refuse a second answer), not reversible without the key.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import uuid

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Exists, FloatField, Min, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from parcours.cases.models import Appointment, Contact, EndReason, SupportEpisode
from parcours.catalogue.models import Referral, ReferralStatus
from parcours.evaluation.models import (
    SMALL_CELL_THRESHOLD,
    Moment,
    Outbox,
    SatisfactionSurvey,
    SurveyInvitation,
    SurveyResponse,
    SurveyVersion,
    suppress,
)
from parcours.people.models import Channel

logger = logging.getLogger(__name__)

SALT = "parcours.evaluation.survey"
VALID_DAYS = 30
# Moments older than this are not surveyed any more (a first run does not flood old history).
LOOKBACK_DAYS = 30
SIX_MONTHS = 182


def keyed_hash(kind: str, value) -> str:
    """HMAC-SHA256 of ``kind:value`` keyed with SECRET_KEY (stable, not reversible without the key)."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- the shipped surveys

SCALE_LABEL = {"fr": "de 1 (pas du tout) à 5 (tout à fait)", "en": "from 1 (not at all) to 5 (completely)"}
DEFAULT_QUESTIONS = {
    Moment.FIRST_INTERVIEW: [
        {
            "code": "overall",
            "type": "scale",
            "overall": True,
            "label": {
                "fr": "Êtes-vous satisfait·e de ce premier entretien ?",
                "en": "Are you satisfied with this first interview?",
            },
        },
        {
            "code": "listened",
            "type": "scale",
            "label": {"fr": "Vous êtes-vous senti·e écouté·e ?", "en": "Did you feel listened to?"},
        },
        {
            "code": "next_steps_clear",
            "type": "yes_no",
            "label": {
                "fr": "Savez-vous quelles sont les prochaines étapes ?",
                "en": "Do you know the next steps?",
            },
        },
    ],
    Moment.REFERRAL_COMPLETED: [
        {
            "code": "overall",
            "type": "scale",
            "overall": True,
            "label": {
                "fr": "Le service vers lequel vous avez été orienté·e vous a-t-il aidé·e ?",
                "en": "Did the service you were referred to help you?",
            },
        },
        {
            "code": "useful",
            "type": "yes_no",
            "label": {"fr": "Le recommanderiez-vous ?", "en": "Would you recommend it?"},
        },
    ],
    Moment.EPISODE_END: [
        {
            "code": "overall",
            "type": "scale",
            "overall": True,
            "label": {
                "fr": "Êtes-vous satisfait·e de votre accompagnement ?",
                "en": "Are you satisfied with your support?",
            },
        },
        {
            "code": "counselor_available",
            "type": "scale",
            "label": {
                "fr": "Votre conseiller·ère était-il·elle disponible ?",
                "en": "Was your counselor available?",
            },
        },
        {
            "code": "comment",
            "type": "text",
            "label": {
                "fr": "Un commentaire (facultatif, sans information personnelle)",
                "en": "A comment (optional, no personal information)",
            },
        },
    ],
    Moment.SIX_MONTHS_AFTER_HIRE: [
        {
            "code": "overall",
            "type": "scale",
            "overall": True,
            "label": {
                "fr": "Avec le recul, l'accompagnement vous a-t-il aidé·e à trouver et garder cet emploi ?",
                "en": "Looking back, did the support help you find and keep this job?",
            },
        },
        {
            "code": "still_employed",
            "type": "yes_no",
            "label": {"fr": "Êtes-vous toujours en emploi ?", "en": "Are you still employed?"},
        },
    ],
}


@transaction.atomic
def ensure_surveys() -> dict[str, SurveyVersion]:
    """The shipped surveys (version 1) for every moment, created if missing."""
    versions = {}
    for moment, questions in DEFAULT_QUESTIONS.items():
        survey, _ = SatisfactionSurvey.objects.get_or_create(
            moment=moment, defaults={"code": moment.replace("_", "-"), "name": str(moment.label)}
        )
        version = survey.current_version() or SurveyVersion.objects.create(
            survey=survey, number=1, questions=questions
        )
        versions[moment] = version
    return versions


# --------------------------------------------------------------------------- due moments


def due_episodes(moment: str, today: datetime.date):
    """Episodes whose ``moment`` happened within the look-back window and not yet invited."""
    since = today - datetime.timedelta(days=LOOKBACK_DAYS)
    episodes = SupportEpisode.objects.exclude(
        Exists(SurveyInvitation.objects.filter(episode=OuterRef("pk"), moment=moment))
    )
    if moment == Moment.FIRST_INTERVIEW:
        held = Appointment.objects.filter(episode=OuterRef("pk"), status=Appointment.Status.HELD)
        first = (
            Contact.objects.filter(episode=OuterRef("pk"))
            .order_by()
            .values("episode")
            .annotate(m=Min("occurred_at"))
        )
        return (
            episodes.filter(Exists(held) | Exists(Contact.objects.filter(episode=OuterRef("pk"))))
            .annotate(first_at=first.values("m")[:1])
            .filter(first_at__date__gte=since, first_at__date__lte=today)
        )
    if moment == Moment.EPISODE_END:
        return episodes.filter(ended_on__gte=since, ended_on__lte=today)
    if moment == Moment.SIX_MONTHS_AFTER_HIRE:
        hired = today - datetime.timedelta(days=SIX_MONTHS)
        return episodes.filter(
            end_reason__in=[EndReason.EMPLOYED_DURABLE, EndReason.EMPLOYED_SHORT],
            ended_on__gte=hired - datetime.timedelta(days=LOOKBACK_DAYS),
            ended_on__lte=hired,
        )
    if moment == Moment.REFERRAL_COMPLETED:
        completed = Referral.objects.filter(
            episode=OuterRef("pk"), status=ReferralStatus.COMPLETED, closed_at__date__gte=since
        )
        return episodes.filter(Exists(completed))
    raise ValueError(f"unknown moment {moment!r}")


# --------------------------------------------------------------------------- sending


def make_token(invitation: SurveyInvitation) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(invitation.public_id))


def invitation_from_token(token: str) -> SurveyInvitation | None:
    """The invitation if the token is genuine, unused and not expired; None otherwise."""
    try:
        public_id = signing.TimestampSigner(salt=SALT).unsign(
            token, max_age=datetime.timedelta(days=VALID_DAYS)
        )
        uuid.UUID(public_id)
    except (signing.BadSignature, ValueError):
        return None
    invitation = (
        SurveyInvitation.objects.select_related("survey_version", "episode")
        .filter(public_id=public_id)
        .first()
    )
    if invitation is None or invitation.used_at is not None or timezone.now() >= invitation.expires_at:
        return None
    return invitation


def survey_url(invitation: SurveyInvitation) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("evaluation:answer_survey", args=[make_token(invitation)])


def pick_channel(person) -> str | None:
    """The first preferred channel we can send a survey on (e-mail or SMS), else e-mail if known."""
    use_sms = getattr(settings, "USE_SMS", False)
    for channel in person.preferred_channels or []:
        if channel == Channel.EMAIL and person.email:
            return Channel.EMAIL
        if channel == Channel.SMS and person.phone and use_sms:
            return Channel.SMS
    return Channel.EMAIL if person.email else None


def deliver(invitation: SurveyInvitation, person, channel: str) -> Outbox:
    url = survey_url(invitation)
    subject = "Votre avis sur votre accompagnement"
    body = (
        "Bonjour,\n\nVotre avis nous aide à améliorer l'accompagnement. Ce court questionnaire "
        f"(2 minutes, anonyme pour votre conseiller·ère) est accessible une seule fois :\n{url}\n\n"
        f"Ce lien expire dans {VALID_DAYS} jours."
    )
    if channel == Channel.SMS:
        backend = getattr(settings, "SMS_BACKEND", "")
        if not backend:
            raise ImproperlyConfigured("USE_SMS is on but SMS_BACKEND is not configured")
        if backend != "console":
            raise ImproperlyConfigured(f"unknown SMS_BACKEND {backend!r} (only 'console' exists for now)")
        return Outbox.objects.create(
            channel=channel,
            recipient=person.phone,
            body=f"Parcours : votre avis en 2 minutes {url}",
            invitation=invitation,
        )
    send_mail(subject, body, None, [person.email])
    return Outbox.objects.create(
        channel=channel, recipient=person.email, subject=subject, body=body, invitation=invitation
    )


def invite(episode: SupportEpisode, moment: str, version: SurveyVersion) -> SurveyInvitation | None:
    """Create the invitation and send it once the transaction commits; None if it already exists."""
    person = episode.person
    channel = pick_channel(person)
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                episode=episode,
                moment=moment,
                survey_version=version,
                counselor_id=episode.referent_id,
                channel=channel or "",
                status=SurveyInvitation.Status.SENT if channel else SurveyInvitation.Status.NO_CHANNEL,
                expires_at=timezone.now() + datetime.timedelta(days=VALID_DAYS),
            )
            if channel:
                deliver(invitation, person, channel)
    except IntegrityError:
        return None
    logger.info(
        "survey_invitation=%s episode=%s moment=%s channel=%s", invitation.pk, episode.pk, moment, channel
    )
    return invitation


def send_due_surveys(today: datetime.date | None = None, *, chunk: int = 500) -> dict[str, int]:
    """Send every due survey once (one invitation per episode and moment). Idempotent."""
    today = today or timezone.localdate()
    versions = ensure_surveys()
    if getattr(settings, "USE_SMS", False) and not getattr(settings, "SMS_BACKEND", ""):
        raise ImproperlyConfigured("USE_SMS is on but SMS_BACKEND is not configured")
    sent = {}
    for moment in Moment.values:
        survey = versions[moment].survey
        if not survey.is_active:
            continue
        count = 0
        ids = list(due_episodes(moment, today).values_list("pk", flat=True))
        for offset in range(0, len(ids), chunk):
            batch = SupportEpisode.objects.filter(pk__in=ids[offset : offset + chunk]).select_related(
                "person"
            )
            for episode in batch:
                if invite(episode, moment, versions[moment]):
                    count += 1
        sent[moment] = count
    return sent


# --------------------------------------------------------------------------- answering


class AlreadyAnswered(Exception):
    pass


def clean_answers(version: SurveyVersion, data) -> tuple[dict, dict]:
    """Validate posted answers against the version's questions: (answers, errors)."""
    answers, errors = {}, {}
    for question in version.questions:
        code, kind = question["code"], question["type"]
        raw = (data.get(code) or "").strip()
        if kind == "scale":
            if raw not in {"1", "2", "3", "4", "5"}:
                errors[code] = "Choisissez une note de 1 à 5."
            else:
                answers[code] = int(raw)
        elif kind == "yes_no":
            if raw not in {"yes", "no"}:
                errors[code] = "Répondez oui ou non."
            else:
                answers[code] = raw == "yes"
        elif raw:
            answers[code] = raw[:1000]
    return answers, errors


@transaction.atomic
def record_response(invitation: SurveyInvitation, answers: dict) -> SurveyResponse:
    """Store the pseudonymised answer and use up the invitation (one answer per invitation)."""
    invitation = (
        SurveyInvitation.objects.select_for_update()
        .select_related("episode", "survey_version")
        .get(pk=invitation.pk)
    )
    if invitation.used_at is not None:
        raise AlreadyAnswered
    episode = invitation.episode
    version = invitation.survey_version
    overall = version.overall_code()
    response = SurveyResponse.objects.create(
        survey_version=version,
        moment=invitation.moment,
        counselor_id=invitation.counselor_id,
        organisation_id=episode.organisation_id,
        site_id=episode.site_id,
        person_key=keyed_hash("person", episode.person_id),
        episode_key=keyed_hash("episode", episode.pk),
        answers=answers,
        overall_score=answers.get(overall) if overall else None,
    )
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    return response


# --------------------------------------------------------------------------- results


def period_bounds(period: str | None, today: datetime.date) -> tuple[datetime.date, datetime.date, str]:
    """(start, end, label) of ``YYYY`` or ``YYYY-Tn``; default: the last 12 months."""
    if period:
        try:
            year = int(period[:4])
            if len(period) == 4:
                return datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1), period
            quarter = int(period[-1])
            if period[4:6] in {"-T", "-Q"} and 1 <= quarter <= 4 and len(period) == 7:
                start = datetime.date(year, 3 * quarter - 2, 1)
                end = datetime.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
                return start, end, f"{year}-T{quarter}"
        except ValueError:
            pass
    return today - datetime.timedelta(days=365), today + datetime.timedelta(days=1), ""


def _scale_annotations(questions: list[str]) -> dict:
    return {f"q_{code}": Avg(Cast(KeyTextTransform(code, "answers"), FloatField())) for code in questions}


SCALE_QUESTIONS = ["overall", "listened", "counselor_available"]


def results_by(field: str | None, filters: Q, start, end):
    """Aggregated results grouped by ``field`` (None: one overall row), suppressed below the
    threshold. One query."""
    qs = SurveyResponse.objects.filter(filters, answered_on__gte=start, answered_on__lt=end)
    aggregates = {
        "n": Count("pk"),
        "people": Count("person_key", distinct=True),
        **_scale_annotations(SCALE_QUESTIONS),
    }
    rows = (
        list(qs.values(field).annotate(**aggregates).order_by(field))
        if field
        else [qs.aggregate(**aggregates)]
    )
    return [publishable_row(row) for row in rows]


def publishable_row(row: dict) -> dict:
    """Hide every figure of a row resting on fewer than SMALL_CELL_THRESHOLD answers."""
    out = dict(row)
    out["suppressed"] = row["n"] < SMALL_CELL_THRESHOLD
    for key, value in row.items():
        if key.startswith("q_"):
            out[key] = suppress(None if value is None else round(value, 2), row["n"])
    return out
