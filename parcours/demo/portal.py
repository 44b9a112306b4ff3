"""The demo person's account: a person of ``conseillere``'s portfolio, followed "autonomous online"
(Intensity.ONLINE), with an upcoming appointment,
an action plan, a referral and a conversation with their counselor, who logs in to their space
(/moi/) as ``personne`` with the demo password. Created through the portal's own invitation
action; ``conseillere`` publishes weekly hours (parcours.agenda) so that the person has free slots
to book."""

import datetime

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from parcours.agenda import actions as agenda_actions
from parcours.cases import actions as case_actions
from parcours.cases.models import Appointment, Intensity, SupportEpisode
from parcours.catalogue import actions as catalogue_actions
from parcours.catalogue.models import Referral, Service
from parcours.conversations import actions as conversations
from parcours.demo import clock
from parcours.demo import reference as ref
from parcours.diagnosis.models import ActionPlan
from parcours.portal import actions as portal_actions
from parcours.portal.models import PersonAccount

DEMO_PERSON_LOGIN = "personne"
DEMO_PERSON_DESCRIPTION = "personne accompagnée par conseillere (son espace : /moi/)"


def build_demo_person_account() -> PersonAccount | None:
    """Pick the person (the first of the counselor's open episodes, those with an upcoming
    appointment and an action plan first), make sure they have a referral, and open their account.
    None if the counselor has no open episode."""
    upcoming = Appointment.objects.filter(
        episode=OuterRef("pk"), status=Appointment.Status.PLANNED, scheduled_at__gte=timezone.now()
    )
    episode = (
        SupportEpisode.objects.open()
        .filter(referent__username=ref.DEMO_LOGINS[0].username)
        .annotate(upcoming=Exists(upcoming), plan=Exists(ActionPlan.objects.filter(episode=OuterRef("pk"))))
        .select_related("person", "referent")
        .order_by("-upcoming", "-plan", "pk")
        .first()
    )
    if episode is None:
        return None
    if not Referral.objects.filter(episode=episode).exists():
        service = Service.objects.exclude(organisation=episode.organisation_id).order_by("pk").first()
        if service is not None:
            catalogue_actions.propose_referral(
                episode,
                by=episode.referent,
                service=service,
                shared_fields=["identity", "contact"],
                barriers=[],
                consent_given=True,
                message="Proposé lors du dernier entretien.",
            )
    # The demo's "autonomous online" person (docs/portal.md): their messages and video or
    # self-booked appointments meet the contact target; the portal gives them the online pages.
    decided = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate() - datetime.timedelta(days=2), datetime.time(16))
    )
    with clock.at(decided):
        case_actions.change_intensity(
            episode,
            by=episode.referent,
            intensity=Intensity.ONLINE,
            reason="Autonome à distance : suivi par messages et visioconférence",
        )
    account = portal_actions.invite_person(
        episode.person, by=episode.referent, login=DEMO_PERSON_LOGIN, password=ref.DEMO_PASSWORD
    )
    publish_demo_availability(episode)
    ensure_demo_career_project(episode)
    # Yesterday at 17:00, not "now": the messages count as contacts, and two loads with the same
    # seed on the same day must give the same contact log (tests/demo: same seed, same data).
    moment = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate() - datetime.timedelta(days=1), datetime.time(17))
    )
    with clock.at(moment):
        thread = conversations.start_thread(
            episode,
            by=episode.referent,
            subject="Notre prochain rendez-vous",
            body=(
                "Bonjour, vous pouvez maintenant choisir vous-même un créneau dans votre espace, "
                "rubrique « Mes rendez-vous ». À bientôt."
            ),
        )
    with clock.at(moment + datetime.timedelta(minutes=40)):
        conversations.post_message(thread, by=None, body="Merci, je regarde les créneaux ce soir.")
    return account


def ensure_demo_career_project(episode: SupportEpisode) -> None:
    """The person's own offers page (/moi/offres/) needs a target occupation: when the case work
    gave the episode none, the referent adds the occupation with the most demo offers."""
    from parcours.labour import actions as labour_actions
    from parcours.labour.models import CareerProject, Occupation, TargetOccupation
    from parcours.market.models import JobOffer

    if TargetOccupation.objects.filter(project__episode=episode).exists():
        return
    busiest = (
        JobOffer.objects.matchable()
        .values("rome_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "rome_code")
        .first()
    )
    occupation = busiest and Occupation.objects.active().filter(rome_code=busiest["rome_code"]).first()
    if occupation is None:
        return  # no ROME sample or no offers loaded
    project = CareerProject.objects.filter(episode=episode).first()
    project = project or labour_actions.start_career_project(episode, by=episode.referent)
    labour_actions.add_target_occupation(project, by=episode.referent, occupation=occupation)


# conseillere's weekly hours: mornings on site, Wednesday afternoon by video.
DEMO_HOURS = [
    (0, datetime.time(9), datetime.time(12), 45, "in_person"),
    (1, datetime.time(9), datetime.time(12), 45, "in_person"),
    (2, datetime.time(14), datetime.time(17), 30, "video"),
    (3, datetime.time(9), datetime.time(12), 45, "in_person"),
]


def publish_demo_availability(episode: SupportEpisode) -> list:
    """The referent's weekly hours in the episode's organisation, through the agenda's action (on
    site at the episode's site, or the organisation's first; by video if it has none)."""
    site = episode.site or episode.organisation.sites.order_by("pk").first()
    return [
        agenda_actions.add_availability_rule(
            by=episode.referent,
            organisation=episode.organisation,
            weekday=weekday,
            start_time=start,
            end_time=end,
            slot_minutes=minutes,
            channel=channel if site else "video",
            site=site if channel == "in_person" else None,
            valid_from=timezone.localdate(),
        )
        for weekday, start, end, minutes, channel in DEMO_HOURS
    ]
