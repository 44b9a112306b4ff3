"""State changes of person accounts: invitation, one-time codes, password, FranceConnect link.

No answer here tells whether an address has an account: request_login_code returns nothing the
caller could show, and a failed check looks the same whatever failed."""

import datetime
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from parcours.agenda import actions as agenda
from parcours.cases.models import CaseEvent
from parcours.conversations import actions as conversations
from parcours.conversations.models import Thread
from parcours.messaging import actions as messaging
from parcours.messaging.models import DeliveryChannel, OutboundMessage
from parcours.messaging.sms import normalise_phone, sms_available
from parcours.people.models import Person
from parcours.portal.models import LoginCode, LoginThrottle, PersonAccount

logger = logging.getLogger(__name__)

EVENT_ACCOUNT_INVITED = "portal_account_invited"
EVENT_ACCOUNT_CLOSED = "portal_account_closed"


class Throttled(Exception):
    """Too many requests from this address: the caller answers 429 (which says nothing about
    any account)."""


def portal_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("portal:login")


# --- Invitation ---------------------------------------------------------------------------------


@transaction.atomic
def invite_person(
    person: Person, *, by, login: str | None = None, password: str | None = None
) -> PersonAccount:
    """Create (or reopen) the person's account from their contact details and send them the
    invitation on their channel. `login` and `password` are for the demo and the CLI; a person
    invited by a counselor logs in with a code sent to their e-mail or mobile."""
    email = (person.email or "").strip().lower()
    phone = normalise_phone(person.phone)
    if not email and not phone and not (login and password):
        raise ValidationError("the person has neither an e-mail address nor a mobile number")
    account, created = PersonAccount.objects.select_for_update().get_or_create(
        person=person, defaults={"invited_by": by}
    )
    account.email, account.phone, account.is_active = email, phone, True
    account.invited_by, account.invited_at = by, timezone.now()
    if login:
        account.login = login.strip().lower()
    if password:
        account.set_password(password)
    account.save()
    CaseEvent.objects.create(
        person=person, actor=by, kind=CaseEvent.Kind.OTHER, data={"what": EVENT_ACCOUNT_INVITED}
    )
    if email or phone:
        messaging.queue_message(
            person=person,
            kind=OutboundMessage.Kind.INVITATION,
            subject="Votre espace personnel Parcours",
            body=(
                "Bonjour,\n\nVotre conseiller·ère vous a ouvert un espace personnel sur Parcours : "
                "votre plan d'action, vos rendez-vous et vos messages.\n"
                f"Pour vous connecter, demandez un code sur {portal_url()} "
                "avec votre adresse e-mail ou votre numéro de mobile."
            ),
            urgent=True,
        )
    logger.info("portal_account=%s invited by=%s created=%s", account.pk, getattr(by, "pk", None), created)
    return account


@transaction.atomic
def close_account(account: PersonAccount, *, by) -> PersonAccount:
    account.is_active = False
    account.save(update_fields=["is_active"])
    CaseEvent.objects.create(
        person=account.person, actor=by, kind=CaseEvent.Kind.OTHER, data={"what": EVENT_ACCOUNT_CLOSED}
    )
    return account


# --- Identifiers and throttles -------------------------------------------------------------------


def parse_identifier(raw: str) -> tuple[str, str]:
    """("email" | "phone" | "login", normalised value)."""
    value = (raw or "").strip()
    if "@" in value:
        return "email", value.lower()
    phone = normalise_phone(value)
    if phone and len(phone.lstrip("+")) >= 9 and phone.lstrip("+").isdigit():
        return "phone", phone
    return "login", value.lower()


def accounts_for(identifier: str):
    kind, value = parse_identifier(identifier)
    if not value:
        return PersonAccount.objects.none()
    query = {"email": Q(email=value), "phone": Q(phone=value), "login": Q(login=value)}[kind]
    return PersonAccount.objects.filter(query, is_active=True).select_related("person")


def _count(key: str, *, minutes: int, now) -> int:
    return LoginThrottle.objects.filter(key=key, at__gte=now - datetime.timedelta(minutes=minutes)).count()


def _hit(key: str, now) -> None:
    LoginThrottle.objects.create(key=key, at=now)


def check_ip(ip: str, *, now=None) -> None:
    """Requests and failures from one address over the last hour."""
    now = now or timezone.now()
    # Old rows are useless past the longest window.
    LoginThrottle.objects.filter(at__lt=now - datetime.timedelta(days=1)).delete()
    if (
        _count(LoginThrottle.key_for("ip", ip), minutes=60, now=now)
        >= settings.PORTAL_LOGIN_MAX_PER_IP_PER_HOUR
    ):
        raise Throttled()


# --- One-time codes ------------------------------------------------------------------------------


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def request_login_code(identifier: str, *, ip: str, now=None) -> None:
    """Send a code to each active account with this identifier, within the per-account limit.
    Returns nothing: the page says the same thing whether an account exists or not."""
    now = now or timezone.now()
    check_ip(ip, now=now)
    _hit(LoginThrottle.key_for("ip", ip), now)
    kind, _value = parse_identifier(identifier)
    for account in accounts_for(identifier):
        account_key = LoginThrottle.key_for("account", account.pk)
        if _count(account_key, minutes=60, now=now) >= settings.PORTAL_CODES_PER_ACCOUNT_PER_HOUR:
            logger.info("portal_account=%s code refused: hourly limit", account.pk)
            continue
        _hit(account_key, now)
        _send_code(account, kind, now)


def _send_code(account: PersonAccount, kind: str, now) -> None:
    if kind == "phone" or (kind == "login" and not account.email):
        channel, to = DeliveryChannel.SMS, account.phone
    else:
        channel, to = DeliveryChannel.EMAIL, account.email
    if not to or (channel == DeliveryChannel.SMS and not sms_available()):
        logger.info("portal_account=%s code not sent: no %s route", account.pk, channel)
        return
    code = _new_code()
    ttl = settings.PORTAL_CODE_TTL_MINUTES
    LoginCode.objects.create(
        account=account,
        code_hash=LoginCode.hash_code(account.pk, code),
        channel=channel,
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=ttl),
    )
    messaging.send_now(
        person=account.person,
        kind=OutboundMessage.Kind.LOGIN_CODE,
        channel=channel,
        to=to,
        subject="Votre code de connexion Parcours",
        body=f"Votre code de connexion Parcours : {code}. Il est valable {ttl} minutes. "
        "Ne le communiquez à personne, pas même à votre conseiller·ère.",
    )


@transaction.atomic
def verify_login_code(identifier: str, code: str, *, ip: str, now=None) -> PersonAccount | None:
    """The account whose live code this is, or None (wrong, expired, used, too many tries)."""
    now = now or timezone.now()
    check_ip(ip, now=now)
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    live = list(
        LoginCode.objects.select_for_update()
        .filter(
            account__in=accounts_for(identifier),
            used_at__isnull=True,
            expires_at__gt=now,
            failed_attempts__lt=settings.PORTAL_CODE_MAX_ATTEMPTS,
        )
        .select_related("account__person")
    )
    for candidate in live:
        if code and candidate.matches(code):
            candidate.used_at = now
            candidate.save(update_fields=["used_at"])
            # Every other code of the account dies with this login.
            LoginCode.objects.filter(account=candidate.account, used_at__isnull=True).update(used_at=now)
            return candidate.account
    _hit(LoginThrottle.key_for("ip", ip), now)
    for candidate in live:
        candidate.failed_attempts += 1
        candidate.save(update_fields=["failed_attempts"])
    return None


# --- Password and FranceConnect ------------------------------------------------------------------


def login_with_password(identifier: str, password: str, *, ip: str, now=None) -> PersonAccount | None:
    now = now or timezone.now()
    check_ip(ip, now=now)
    for account in accounts_for(identifier):
        if account.check_password(password):
            return account
    _hit(LoginThrottle.key_for("ip", ip), now)
    return None


def set_account_password(account: PersonAccount, *, password: str | None) -> PersonAccount:
    """The person sets (or with None removes) an optional password."""
    if password is None:
        account.password = ""
    else:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password)
        account.set_password(password)
    account.save(update_fields=["password"])
    return account


def link_franceconnect(account: PersonAccount, *, sub: str) -> PersonAccount:
    if PersonAccount.objects.filter(franceconnect_sub=sub).exclude(pk=account.pk).exists():
        raise ValidationError("this FranceConnect identity is already linked to another account")
    account.franceconnect_sub = sub
    account.save(update_fields=["franceconnect_sub"])
    return account


def account_for_franceconnect(sub: str) -> PersonAccount | None:
    return PersonAccount.objects.filter(franceconnect_sub=sub, is_active=True).first()


# --- What the person does from their space -------------------------------------------------------
# The person is the actor: `by=None` in the shared actions (CaseEvent.actor is a staff user), and
# the people concerned on the staff side are told through the delivery layer.


def _tell_staff(users, *, kind: str, subject: str, body: str, organisation=None) -> None:
    """An e-mail without personal content beyond what the staff member already sees: a link."""
    for user in {u.pk: u for u in users if u is not None}.values():
        messaging.queue_message(user=user, kind=kind, subject=subject, body=body, organisation=organisation)


def _person_link(person: Person) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("people:detail", kwargs={"public_id": person.public_id})


def update_own_action(action, *, person: Person, done: bool | None = None, note: str | None = None):
    from parcours.diagnosis.actions import update_action
    from parcours.diagnosis.models import Action

    changes = {}
    if done is not None:
        changes["status"] = Action.Status.DONE if done else Action.Status.TODO
    if note is not None:
        changes["person_note"] = note.strip()[:2000]
    action = update_action(action, by=None, by_person=True, **changes)
    referent = action.plan.episode.referent
    _tell_staff(
        [referent],
        kind=OutboundMessage.Kind.OTHER,
        subject="[Parcours] Plan d'action mis à jour par la personne",
        body=f"Une personne que vous accompagnez a mis à jour son plan d'action.\n\n{_person_link(person)}",
    )
    return action


def start_self_diagnosis(episode, *, person: Person):
    """A self-diagnosis draft on one of the person's open episodes (the one in progress, if any)."""
    from parcours.diagnosis.actions import start_diagnosis
    from parcours.diagnosis.models import Diagnosis

    draft = Diagnosis.objects.filter(episode=episode, by_person=True, status=Diagnosis.Status.DRAFT).first()
    return draft or start_diagnosis(episode, by=None, by_person=True)


def send_self_diagnosis(diagnosis, *, person: Person):
    """The answers go to the file (barriers, skills, digital autonomy derived as for the counselor's
    questionnaire) and the referent is told, without the answers in the e-mail."""
    from parcours.diagnosis.actions import complete_diagnosis

    diagnosis = complete_diagnosis(diagnosis, by=None)
    _tell_staff(
        [diagnosis.episode.referent],
        kind=OutboundMessage.Kind.OTHER,
        subject="[Parcours] Autodiagnostic envoyé par la personne",
        body=f"Une personne que vous accompagnez a envoyé son autodiagnostic.\n\n{_person_link(person)}",
    )
    return diagnosis


def cancel_own_appointment(appointment, *, person: Person):
    """Cancel within the organisation's notice (parcours.agenda); the slot is freed and the
    counselor told."""
    return agenda.cancel_by_person(appointment)


def can_cancel(appointment, now=None) -> bool:
    return agenda.can_cancel(appointment, now)


@transaction.atomic
def ask_for_another_slot(appointment, *, person: Person, message: str = ""):
    """The person asks for another time; the counselor gets the request (and the person's words
    are kept only in the file's thread, not in the e-mail)."""
    from parcours.cases.models import Appointment

    if appointment.status != Appointment.Status.PLANNED:
        raise ValidationError("this appointment is no longer planned")
    CaseEvent.objects.create(
        person=person,
        episode=appointment.episode,
        actor=None,
        kind=CaseEvent.Kind.OTHER,
        data={"what": "reschedule_requested", "appointment": appointment.pk, "by_person": True},
    )
    _tell_staff(
        [appointment.with_user],
        kind=OutboundMessage.Kind.APPOINTMENT_CHANGED,
        subject="[Parcours] Demande d'un autre créneau",
        body=(
            f"La personne demande un autre créneau pour le rendez-vous du "
            f"{timezone.localtime(appointment.scheduled_at):%d/%m/%Y à %H:%M}.\n\n{_person_link(person)}"
        ),
    )
    return appointment


def consent_organisations(person: Person):
    """The organisations the person deals with: their episodes' organisations, those of the
    professionals following them, those their referrals went to, and any they consented to."""
    from parcours.cases.models import FollowUpMember, SupportEpisode
    from parcours.catalogue.models import Referral
    from parcours.organisations.models import Organisation
    from parcours.people.models import Consent

    return Organisation.objects.filter(
        Q(pk__in=SupportEpisode.objects.filter(person=person).values("organisation_id"))
        | Q(pk__in=FollowUpMember.objects.filter(episode__person=person).values("organisation_id"))
        | Q(pk__in=Referral.objects.filter(person=person).values("receiving_organisation_id"))
        | Q(pk__in=Consent.objects.filter(person=person).values("organisation_id"))
    ).order_by("name")


def _organisation_staff_for(person: Person, organisation) -> list:
    from parcours.cases.models import FollowUpMember, SupportEpisode

    referents = [
        e.referent for e in SupportEpisode.objects.open().filter(person=person, organisation=organisation)
    ]
    members = [
        m.user
        for m in FollowUpMember.objects.active()
        .filter(episode__person=person, organisation=organisation)
        .select_related("user")
    ]
    return referents + members


def change_own_consent(person: Person, *, organisation, scope: str, give: bool):
    """Give or withdraw, effective at once (access rules read active consents); the organisation's
    people in charge of the person are told."""
    from parcours.cases import actions as case_actions
    from parcours.people.models import Consent

    if scope not in Consent.Scope.values:
        raise ValidationError("unknown scope")
    with transaction.atomic():
        if give:
            case_actions.give_consent(person, by=None, organisation=organisation, scope=scope, note="")
        else:
            for consent in Consent.objects.active().filter(
                person=person, organisation=organisation, scope=scope
            ):
                case_actions.withdraw_consent(consent, by=None)
        label = Consent.Scope(scope).label
        _tell_staff(
            _organisation_staff_for(person, organisation),
            kind=OutboundMessage.Kind.CONSENT_CHANGED,
            organisation=organisation,
            subject="[Parcours] Consentement modifié par la personne",
            body=(
                f"Une personne a {'donné' if give else 'retiré'} son consentement "
                f"« {label} » à {organisation.name}.\n\n{_person_link(person)}"
            ),
        )


def offer_subject(offer) -> str:
    return f"Offre : {offer.title}"[:150]


def express_interest_in_offer(episode, offer, *, person: Person):
    """The person tells their counselor an offer interests them: a conversation of the episode,
    written by the person, naming the offer (title, employer, place, contract, reference), which
    the counselor is notified of and which counts as a contact like any message. Saying it twice
    for the same offer returns the same conversation. Returns the thread."""
    if episode.person_id != person.pk:
        raise ValidationError("not the person's episode")
    existing = Thread.objects.filter(episode=episode, subject=offer_subject(offer)).first()
    if existing is not None:
        return existing
    where = ", ".join(x for x in (offer.employer_name, offer.place_label or offer.commune_insee) if x)
    body = (
        f"Bonjour, l'offre « {offer.title} »{f' ({where})' if where else ''} — "
        f"{offer.get_contract_type_display()} — m'intéresse. Pouvez-vous m'aider à y répondre ?\n"
        f"Référence : {offer.source} {offer.external_id}"
    )
    return conversations.start_thread(episode, by=None, subject=offer_subject(offer), body=body)
