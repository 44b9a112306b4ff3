"""Satisfaction surveys of the demo: the invitations ``evaluation send-surveys`` would have sent over
the last six months (after the first interview and at the end of each episode), each on the day
after its moment, and the answers of the people who replied, so that the satisfaction pages have
figures above the publication threshold. Deterministic for a seed."""

import datetime
import random
from collections import Counter

from django.db.models import Min
from django.utils import timezone

from parcours.cases.models import SupportEpisode
from parcours.demo.clock import at, during_working_hours, later
from parcours.evaluation import surveys
from parcours.evaluation.models import Moment

RESPONSE_RATE = 0.4
HISTORY_DAYS = 183  # the last six months: enough answers for every counselor
# Scale answers from 1 to 5: mostly satisfied, a few unhappy.
SCALE_WEIGHTS = (1, 2, 6, 14, 12)
COMMENTS = (
    "Conseillère à l'écoute, merci.",
    "Les rendez-vous étaient trop espacés.",
    "J'ai retrouvé confiance.",
    "",
)


def build_demo_surveys(seed: int, *, today: datetime.date | None = None) -> dict[str, int]:
    rng = random.Random(seed)
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=HISTORY_DAYS)
    versions = surveys.ensure_surveys()
    counts: Counter = Counter()
    first_interviews = (
        SupportEpisode.objects.annotate(first=Min("contacts__occurred_at"))
        .filter(first__date__gte=since)
        .select_related("person")
        .order_by("pk")
    )
    for episode in first_interviews:
        _survey(rng, episode, Moment.FIRST_INTERVIEW, timezone.localdate(episode.first), versions, counts)
    ended = SupportEpisode.objects.filter(ended_on__gte=since).select_related("person").order_by("pk")
    for episode in ended:
        _survey(rng, episode, Moment.EPISODE_END, episode.ended_on, versions, counts)
    return dict(counts)


def _survey(rng, episode, moment: str, day: datetime.date, versions, counts) -> None:
    sent = during_working_hours(day + datetime.timedelta(days=1), rng)
    if sent.date() <= day:
        return  # the moment was today: the survey goes tomorrow
    with at(sent):
        invitation = surveys.invite(episode, moment, versions[moment])
    if invitation is None or not invitation.channel:
        return
    counts["survey_invitations"] += 1
    answered = later(sent, rng, (0, 6))
    if answered is None or rng.random() >= RESPONSE_RATE:
        return
    answers = {}
    for question in versions[moment].questions:
        if question["type"] == "scale":
            answers[question["code"]] = rng.choices(range(1, 6), SCALE_WEIGHTS)[0]
        elif question["type"] == "yes_no":
            answers[question["code"]] = rng.random() < 0.75
        elif comment := rng.choice(COMMENTS):
            answers[question["code"]] = comment
    with at(answered):
        surveys.record_response(invitation, answers)
    counts["survey_responses"] += 1
