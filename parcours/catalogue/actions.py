"""Every state change of the catalogue: services, referrals, workshops, conventions, notifications.

One function per change (verb_noun, keyword-only `by`), called by the HTML views, the API, the
admin and the management commands. Changes that concern a person record a CaseEvent (kind OTHER,
`data["what"]` says which change, titled for the timeline in apps.py) in the same transaction.
"""

import datetime
import logging

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import CASE_ROLES, Membership, Role, User
from parcours.cases import access
from parcours.cases.actions import give_consent
from parcours.cases.locking import ConcurrentEditError, lock_for_update
from parcours.cases.models import CaseEvent
from parcours.catalogue import taxonomy as tx
from parcours.catalogue.models import (
    REFERRAL_EXPIRY_DAYS,
    STALE_REMINDER_PERIOD_DAYS,
    Notification,
    PartnershipConvention,
    Referral,
    ReferralStatus,
    ReferralTransition,
    Service,
    SharedField,
    WorkshopRegistration,
    WorkshopSession,
)
from parcours.catalogue.tasks import send_notification_emails
from parcours.people.models import Consent, Person

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 50


# --- Notifications -----------------------------------------------------------------------------


def notify(
    recipients, *, kind: str, target, dedupe_key: str, message: str, url: str = ""
) -> list[Notification]:
    """Create one notification per recipient unless the same one (kind, object, key) already exists;
    e-mail the new ones once the transaction commits. Returns the new notifications only."""
    content_type = ContentType.objects.get_for_model(target)
    created = []
    for user in {u.pk: u for u in recipients if u is not None}.values():
        try:
            with transaction.atomic():
                notification, is_new = Notification.objects.get_or_create(
                    recipient=user,
                    kind=kind,
                    content_type=content_type,
                    object_id=target.pk,
                    dedupe_key=dedupe_key[:100],
                    defaults={"message": message[:300], "url": url[:300]},
                )
        except IntegrityError:  # created concurrently: the other one stands
            continue
        if is_new:
            created.append(notification)
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: send_notification_emails.enqueue(notification_ids=ids))
    return created


def mark_notification_read(notification: Notification, *, by) -> Notification:
    if notification.recipient_id != by.pk:
        raise PermissionDenied("not your notification")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def organisation_staff(organisation_id: int, *, site_id: int | None = None):
    """Who hears about a referral for an organisation: its managers and the counselors of the
    service's site; all its case staff when that finds nobody. Bounded: no flood in a big agency."""

    memberships = Membership.objects.filter(
        organisation_id=organisation_id, is_active=True, role__in=CASE_ROLES
    )
    focused = (
        memberships.filter(Q(role=Role.MANAGER) | Q(site_id=site_id))
        if site_id
        else memberships.filter(role=Role.MANAGER)
    )
    ids = list(focused.values_list("user_id", flat=True)[:MAX_RECIPIENTS]) or list(
        memberships.values_list("user_id", flat=True)[:MAX_RECIPIENTS]
    )
    return list(User.objects.filter(pk__in=ids, is_active=True))


# --- Services ----------------------------------------------------------------------------------

SERVICE_FIELDS = frozenset(
    f.name
    for f in Service._meta.get_fields()
    if getattr(f, "editable", False)
    and f.name
    not in {"id", "public_id", "version", "created_at", "modified_at", "organisation", "review_due_on"}
)


def _require_manager_of(user, organisation_id: int) -> None:
    if organisation_id not in user.case_organisation_ids() and not user.is_superuser:
        raise PermissionDenied("only counselors and managers of the provider may change its services")


def _apply_site(service: Service) -> None:
    """A service delivered at one of the provider's sites takes its address and position."""
    site = service.site
    if site is None:
        return
    service.address = service.address or site.address
    service.commune = site.commune
    service.insee_code = site.commune.insee_code
    service.commune_name = service.commune_name or site.commune.name
    service.postcode = service.postcode or site.commune.postcode
    if service.latitude is None and service.longitude is None:
        service.latitude = site.latitude if site.latitude is not None else site.commune.latitude
        service.longitude = site.longitude if site.longitude is not None else site.commune.longitude


def _zone_codes(territories) -> list[str]:
    return sorted(t.insee_code for t in territories)


@transaction.atomic
def create_service(*, by, organisation, territories=(), **fields) -> Service:
    _require_manager_of(by, organisation.pk)
    unknown = set(fields) - SERVICE_FIELDS
    if unknown:
        raise TypeError(f"unknown service fields: {sorted(unknown)}")
    if not fields.get("barriers") and fields.get("thematiques"):
        fields["barriers"] = tx.barriers_for_thematiques(fields["thematiques"])
    service = Service(organisation=organisation, **fields)
    if service.site_id and service.site.organisation_id != organisation.pk:
        raise ValidationError("the site must belong to the provider")
    _apply_site(service)
    territories = list(territories)
    service.eligibility_zone = service.eligibility_zone or _zone_codes(territories)
    service.full_clean(exclude=["external_id", "review_due_on"])
    service.save()
    service.territories.set(territories)
    logger.info("service=%s created by=%s", service.pk, by.pk)
    return service


@transaction.atomic
def update_service(service: Service, *, by, expected_version: int, territories=None, **changes) -> Service:
    _require_manager_of(by, service.organisation_id)
    unknown = set(changes) - SERVICE_FIELDS
    if unknown:
        raise TypeError(f"unknown service fields: {sorted(unknown)}")
    current = lock_for_update(service, expected_version)
    for name, value in changes.items():
        setattr(current, name, value)
    if "site" in changes and current.site_id:
        if current.site.organisation_id != current.organisation_id:
            raise ValidationError("the site must belong to the provider")
        current.latitude = current.longitude = None
        current.address = current.commune_name = current.postcode = ""
        _apply_site(current)
    if territories is not None:
        territories = list(territories)
        current.eligibility_zone = _zone_codes(territories)
    # Editing the description is confirming it: the service is fresh again.
    current.updated_on = timezone.localdate()
    current.full_clean(exclude=["external_id", "review_due_on"])
    current.version += 1
    current.save()
    if territories is not None:
        current.territories.set(territories)
    logger.info("service=%s updated by=%s", current.pk, by.pk)
    return current


@transaction.atomic
def confirm_service_freshness(service: Service, *, by) -> Service:
    """The provider checked the description: still accurate today."""
    _require_manager_of(by, service.organisation_id)
    service.updated_on = timezone.localdate()
    service.version += 1
    service.save(update_fields=["updated_on", "version", "modified_at"])
    return service


def remind_stale_services(*, today: datetime.date | None = None, by=None) -> int:
    """Notify the providers of stale services, at most once per service per period. Idempotent."""
    today = today or timezone.localdate()
    created = 0
    for service in Service.objects.stale(today).select_related("organisation").iterator(chunk_size=500):
        period = (today - service.review_due_on).days // STALE_REMINDER_PERIOD_DAYS
        with transaction.atomic():
            created += len(
                notify(
                    organisation_staff(service.organisation_id, site_id=service.site_id),
                    kind=Notification.Kind.SERVICE_STALE,
                    target=service,
                    dedupe_key=f"{service.review_due_on.isoformat()}:{period}",
                    message=f"La fiche « {service.name} » n'a pas été mise à jour depuis le "
                    f"{service.updated_on:%d/%m/%Y} : merci de la vérifier.",
                    url=reverse("catalogue:service_detail", kwargs={"public_id": service.public_id}),
                )
            )
    logger.info("stale_reminders created=%s", created)
    return created


# --- Referrals ---------------------------------------------------------------------------------


def _record_referral_event(referral: Referral, by, status: str, **data) -> None:
    CaseEvent.objects.create(
        person_id=referral.person_id,
        episode_id=referral.episode_id,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={"what": f"referral_{status}", "referral": referral.pk, "service": referral.service_id, **data},
    )


def _referral_url(referral: Referral) -> str:
    return reverse("catalogue:referral_detail", kwargs={"public_id": referral.public_id})


def _sender_side(referral: Referral) -> list:
    return [referral.episode.referent, referral.proposed_by]


@transaction.atomic
def propose_referral(
    episode,
    *,
    by,
    service: Service,
    shared_fields: list[str],
    barriers: list[str] = (),
    message: str = "",
    consent_given: bool = False,
) -> Referral:
    """Propose a service to the person of `episode`. The person's consent to pass the listed
    information to the provider is required: recorded now (`consent_given`) or already active."""
    if episode.organisation_id not in by.case_organisation_ids():
        raise PermissionDenied("only counselors and managers of the episode's organisation may refer")
    if not episode.is_open:
        raise ValidationError("the episode is closed")
    if not service.is_active:
        raise ValidationError("this service is no longer offered")
    shared_fields = [f for f in SharedField.values if f in set(shared_fields)]
    if not shared_fields:
        raise ValidationError("choose the information the person agrees to share")
    barriers = [b for b in tx.ServiceBarrierKind.values if b in set(barriers)]
    person = episode.person
    if consent_given:
        consent = give_consent(
            person, by=by, organisation=service.organisation, scope=Consent.Scope.REFERRAL, note="orientation"
        )
    else:
        consent = (
            Consent.objects.active()
            .filter(person=person, organisation=service.organisation, scope=Consent.Scope.REFERRAL)
            .first()
        )
        if consent is None:
            raise ValidationError("the person's consent to share information with the provider is required")
    if Referral.objects.open().filter(person=person, service=service).exists():
        raise ValidationError("this person already has an open referral to this service")
    referral = Referral.objects.create(
        episode=episode,
        person=person,
        service=service,
        receiving_organisation_id=service.organisation_id,
        proposed_by=by,
        consent=consent,
        shared_fields=shared_fields,
        barriers=barriers,
        message=message,
        expires_on=timezone.localdate() + datetime.timedelta(days=REFERRAL_EXPIRY_DAYS),
    )
    ReferralTransition.objects.create(
        referral=referral, from_status="", to_status=ReferralStatus.PROPOSED, by=by
    )
    _record_referral_event(referral, by, ReferralStatus.PROPOSED, fields=shared_fields)
    notify(
        organisation_staff(service.organisation_id, site_id=service.site_id),
        kind=Notification.Kind.REFERRAL_RECEIVED,
        target=referral,
        dedupe_key=ReferralStatus.PROPOSED,
        message=f"Nouvelle orientation vers « {service.name} » : à accepter ou refuser avant le "
        f"{referral.expires_on:%d/%m/%Y}.",
        url=_referral_url(referral),
    )
    logger.info("referral=%s proposed by=%s", referral.pk, by.pk)
    return referral


def _transition(
    referral: Referral,
    to: str,
    *,
    by,
    side: str,
    expected_version: int | None = None,
    reason: str = "",
    **fields,
) -> Referral:
    """The one place where a referral changes status: lock, check rights and the table, log,
    record the CaseEvent and notify the other side."""
    related = Referral.objects.select_related("episode", "service")
    current = lock_for_update(referral, expected_version, queryset=related)
    if by is not None:
        receiver = current.receiving_organisation_id in by.case_organisation_ids()
        sender = current.episode.organisation_id in by.case_organisation_ids()
        allowed = {"receiver": receiver, "sender": sender, "either": receiver or sender}[side]
        if not allowed:
            raise PermissionDenied("you may not change this referral")
    previous = current.status
    current.transition_to(to)  # raises InvalidReferralTransition
    now = timezone.now()
    for name, value in fields.items():
        setattr(current, name, value)
    if to == ReferralStatus.ACCEPTED:
        current.accepted_at = now
    if to not in (ReferralStatus.ACCEPTED, ReferralStatus.STARTED):
        current.closed_at = now
    current.version += 1
    current.save()
    ReferralTransition.objects.create(
        referral=current, from_status=previous, to_status=to, by=by, reason=reason
    )
    _record_referral_event(current, by, to, **({"reason": reason} if reason else {}))
    receivers_acted = by is not None and current.receiving_organisation_id in by.case_organisation_ids()
    recipients = (
        _sender_side(current)
        if receivers_acted or by is None
        else organisation_staff(current.receiving_organisation_id, site_id=current.service.site_id)
    )
    if by is None:
        recipients += organisation_staff(current.receiving_organisation_id, site_id=current.service.site_id)
    notify(
        [u for u in recipients if by is None or u.pk != by.pk],
        kind=Notification.Kind.REFERRAL_UPDATED,
        target=current,
        dedupe_key=to,
        message=f"Orientation vers « {current.service.name} » : {current.get_status_display().lower()}.",
        url=_referral_url(current),
    )
    logger.info("referral=%s %s->%s by=%s", current.pk, previous, to, getattr(by, "pk", "system"))
    return current


@transaction.atomic
def accept_referral(referral: Referral, *, by, expected_version: int | None = None) -> Referral:
    return _transition(
        referral, ReferralStatus.ACCEPTED, by=by, side="receiver", expected_version=expected_version
    )


@transaction.atomic
def refuse_referral(
    referral: Referral, *, by, reason: str, note: str = "", expected_version: int | None = None
) -> Referral:
    from parcours.catalogue.models import RefusalReason

    if reason not in RefusalReason.values:
        raise ValidationError("a coded refusal reason is required")
    return _transition(
        referral,
        ReferralStatus.REFUSED,
        by=by,
        side="receiver",
        expected_version=expected_version,
        reason=reason,
        refusal_reason=reason,
        outcome_note=note,
    )


@transaction.atomic
def start_referral(referral: Referral, *, by, expected_version: int | None = None) -> Referral:
    return _transition(
        referral, ReferralStatus.STARTED, by=by, side="receiver", expected_version=expected_version
    )


def _check_outcome(outcome: str) -> None:
    from parcours.catalogue.models import ReferralOutcome

    if outcome not in ReferralOutcome.values:
        raise ValidationError("a coded outcome is required")


@transaction.atomic
def complete_referral(
    referral: Referral, *, by, outcome: str, note: str = "", expected_version: int | None = None
) -> Referral:
    _check_outcome(outcome)
    return _transition(
        referral,
        ReferralStatus.COMPLETED,
        by=by,
        side="receiver",
        expected_version=expected_version,
        reason=outcome,
        outcome=outcome,
        outcome_note=note,
    )


@transaction.atomic
def abandon_referral(
    referral: Referral, *, by, outcome: str, note: str = "", expected_version: int | None = None
) -> Referral:
    """Either side may record that the person stopped (or never came)."""
    _check_outcome(outcome)
    return _transition(
        referral,
        ReferralStatus.ABANDONED,
        by=by,
        side="either",
        expected_version=expected_version,
        reason=outcome,
        outcome=outcome,
        outcome_note=note,
    )


@transaction.atomic
def expire_referral(referral: Referral, *, by=None) -> Referral:
    """No answer in time. `by` is None when the periodic command does it."""
    return _transition(referral, ReferralStatus.EXPIRED, by=by, side="either")


def expire_overdue_referrals(*, today: datetime.date | None = None) -> dict[str, int]:
    """Expire proposals left unanswered past their date and remind the receivers of those about to
    expire. Idempotent: a second run the same day does nothing more."""
    today = today or timezone.localdate()
    expired = 0
    for referral in Referral.objects.overdue(today).only("pk").iterator(chunk_size=500):
        with transaction.atomic():
            # Re-checked under lock inside _transition: another run may have expired it meanwhile.
            if (
                Referral.objects.select_for_update()
                .filter(pk=referral.pk, status=ReferralStatus.PROPOSED)
                .exists()
            ):
                expire_referral(referral, by=None)
                expired += 1
    reminders = 0
    for referral in Referral.objects.expiring_soon(today).select_related("service").iterator(chunk_size=500):
        with transaction.atomic():
            reminders += len(
                notify(
                    organisation_staff(referral.receiving_organisation_id, site_id=referral.service.site_id),
                    kind=Notification.Kind.REFERRAL_EXPIRING,
                    target=referral,
                    dedupe_key=f"expires:{referral.expires_on.isoformat()}",
                    message=f"L'orientation vers « {referral.service.name} » expire le "
                    f"{referral.expires_on:%d/%m/%Y} sans réponse.",
                    url=_referral_url(referral),
                )
            )
    logger.info("referral_expiry expired=%s reminders=%s", expired, reminders)
    return {"expired": expired, "reminders": reminders}


# --- Workshops ---------------------------------------------------------------------------------


def _workshop_event(registration: WorkshopRegistration, by, what: str) -> None:
    CaseEvent.objects.create(
        person_id=registration.person_id,
        episode_id=registration.referral.episode_id if registration.referral_id else None,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={"what": what, "session": registration.session_id, "registration": registration.pk},
    )


@transaction.atomic
def schedule_workshop_session(
    service: Service,
    *,
    by,
    starts_at: datetime.datetime,
    capacity: int,
    site=None,
    title: str = "",
    duration_minutes: int = 120,
) -> WorkshopSession:
    _require_manager_of(by, service.organisation_id)
    if capacity < 1:
        raise ValidationError("a session needs at least one place")
    if site is not None and site.organisation_id != service.organisation_id:
        raise ValidationError("the site must belong to the provider")
    return WorkshopSession.objects.create(
        service=service,
        starts_at=starts_at,
        capacity=capacity,
        site=site or service.site,
        title=title,
        duration_minutes=duration_minutes,
        created_by=by,
    )


def can_register(user, session: WorkshopSession, person: Person, referral: Referral | None) -> bool:
    """The person's own counselors (who see the person) and, for a referral to this service, the provider."""
    if access.people(user).filter(pk=person.pk).exists():
        return True
    return (
        referral is not None
        and referral.person_id == person.pk
        and referral.service_id == session.service_id
        and referral.status in (ReferralStatus.ACCEPTED, ReferralStatus.STARTED)
        and session.service.organisation_id in user.case_organisation_ids()
    )


def _places_taken(session: WorkshopSession) -> int:
    return session.registrations.filter(status__in=WorkshopRegistration.HOLDS_PLACE).count()


@transaction.atomic
def register_for_workshop(
    session: WorkshopSession, *, by, person: Person, referral: Referral | None = None
) -> WorkshopRegistration:
    """A place if one is free, the waiting list otherwise (session locked: no overbooking)."""
    session = WorkshopSession.objects.select_for_update().select_related("service").get(pk=session.pk)
    if not can_register(by, session, person, referral):
        raise PermissionDenied("you may not register this person")
    if session.starts_at < timezone.now():
        raise ValidationError("this session has already started")
    if (
        session.registrations.filter(person=person)
        .exclude(status=WorkshopRegistration.Status.CANCELLED)
        .exists()
    ):
        raise ValidationError("this person is already registered for this session")
    status = (
        WorkshopRegistration.Status.REGISTERED
        if _places_taken(session) < session.capacity
        else WorkshopRegistration.Status.WAITING_LIST
    )
    registration = WorkshopRegistration.objects.create(
        session=session, person=person, referral=referral, status=status, registered_by=by
    )
    _workshop_event(registration, by, f"workshop_{status}")
    return registration


def _promote_waiting(session: WorkshopSession, by) -> list[WorkshopRegistration]:
    """Fill free places from the waiting list, first come first served."""
    free = session.capacity - _places_taken(session)
    promoted = []
    if free <= 0:
        return promoted
    waiting = session.registrations.filter(status=WorkshopRegistration.Status.WAITING_LIST).select_related(
        "registered_by"
    )
    for registration in waiting.order_by("registered_at", "pk")[:free]:
        registration.status = WorkshopRegistration.Status.REGISTERED
        registration.save(update_fields=["status", "updated_at"])
        _workshop_event(registration, by, "workshop_promoted")
        notify(
            [registration.registered_by],
            kind=Notification.Kind.WORKSHOP_PROMOTED,
            target=registration,
            dedupe_key="promoted",
            message=f"Une place s'est libérée : inscription confirmée à « {session} ».",
            url=reverse("catalogue:workshop_detail", kwargs={"public_id": session.public_id}),
        )
        promoted.append(registration)
    return promoted


@transaction.atomic
def cancel_workshop_registration(registration: WorkshopRegistration, *, by) -> WorkshopRegistration:
    session = (
        WorkshopSession.objects.select_for_update().select_related("service").get(pk=registration.session_id)
    )
    registration = WorkshopRegistration.objects.select_for_update().get(pk=registration.pk)
    if not (
        registration.registered_by_id == by.pk
        or session.service.organisation_id in by.case_organisation_ids()
        or access.people(by).filter(pk=registration.person_id).exists()
    ):
        raise PermissionDenied("you may not cancel this registration")
    if registration.status not in (
        WorkshopRegistration.Status.REGISTERED,
        WorkshopRegistration.Status.WAITING_LIST,
    ):
        raise ValidationError("only a registration or a waiting-list place can be cancelled")
    registration.status = WorkshopRegistration.Status.CANCELLED
    registration.save(update_fields=["status", "updated_at"])
    _workshop_event(registration, by, "workshop_cancelled")
    _promote_waiting(session, by)
    return registration


@transaction.atomic
def change_workshop_capacity(session: WorkshopSession, *, by, capacity: int) -> WorkshopSession:
    session = WorkshopSession.objects.select_for_update().select_related("service").get(pk=session.pk)
    _require_manager_of(by, session.service.organisation_id)
    if capacity < _places_taken(session):
        raise ValidationError("capacity cannot go below the number of people already registered")
    session.capacity = capacity
    session.save(update_fields=["capacity"])
    _promote_waiting(session, by)
    return session


@transaction.atomic
def record_workshop_attendance(
    registration: WorkshopRegistration, *, by, attended: bool
) -> WorkshopRegistration:
    registration = (
        WorkshopRegistration.objects.select_for_update()
        .select_related("session__service")
        .get(pk=registration.pk)
    )
    _require_manager_of(by, registration.session.service.organisation_id)
    if registration.session.starts_at > timezone.now():
        raise ValidationError("attendance is recorded once the session has started")
    if registration.status not in WorkshopRegistration.HOLDS_PLACE:
        raise ValidationError("only registered people can be marked present or absent")
    registration.status = (
        WorkshopRegistration.Status.ATTENDED if attended else WorkshopRegistration.Status.ABSENT
    )
    registration.save(update_fields=["status", "updated_at"])
    _workshop_event(registration, by, f"workshop_{registration.status}")
    return registration


# --- Partnership conventions -------------------------------------------------------------------


def _require_coordinator(user) -> None:
    if not (user.has_role(Role.COORDINATOR) or user.is_superuser):
        raise PermissionDenied("only territorial coordinators manage partnership conventions")


def _validate_publics(publics: list[str]) -> None:
    field = PartnershipConvention._meta.get_field("publics")
    for validator in field.validators:
        validator(publics)
    if not publics:
        raise ValidationError("at least one public is required")


@transaction.atomic
def create_convention(
    *,
    by,
    title: str,
    organisations,
    publics: list[str],
    territories,
    start_on: datetime.date,
    services=(),
    end_on: datetime.date | None = None,
    referral_rules: str = "",
    referral_rules_data: dict | None = None,
    document=None,
) -> PartnershipConvention:
    _require_coordinator(by)
    _validate_publics(publics)
    organisations, territories, services = list(organisations), list(territories), list(services)
    if len(organisations) < 1 or not territories:
        raise ValidationError("a convention needs signatory organisations and territories")
    if end_on and end_on < start_on:
        raise ValidationError("the end date is before the start date")
    org_ids = {o.pk for o in organisations}
    if any(s.organisation_id not in org_ids for s in services):
        raise ValidationError("services must be offered by a signatory organisation")
    convention = PartnershipConvention.objects.create(
        title=title,
        publics=publics,
        start_on=start_on,
        end_on=end_on,
        referral_rules=referral_rules,
        referral_rules_data=referral_rules_data or {},
        created_by=by,
    )
    if document is not None:
        convention.document.save(document.name, document, save=True)
    convention.organisations.set(organisations)
    convention.territories.set(territories)
    convention.services.set(services)
    logger.info("convention=%s created by=%s", convention.pk, by.pk)
    return convention


@transaction.atomic
def revise_convention(
    convention: PartnershipConvention, *, by, document=None, **changes
) -> PartnershipConvention:
    """A new version (amendment): a new row replacing the current one, which is kept unchanged
    with its signed document."""
    _require_coordinator(by)
    current = PartnershipConvention.objects.select_for_update().get(pk=convention.pk)
    if PartnershipConvention.objects.filter(replaces=current).exists():
        raise ConcurrentEditError("this version has already been replaced")
    values = {
        "title": current.title,
        "organisations": list(current.organisations.all()),
        "publics": current.publics,
        "territories": list(current.territories.all()),
        "services": list(current.services.all()),
        "start_on": current.start_on,
        "end_on": current.end_on,
        "referral_rules": current.referral_rules,
        "referral_rules_data": current.referral_rules_data,
    }
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"unknown convention fields: {sorted(unknown)}")
    values.update(changes)
    revised = create_convention(by=by, document=document, **values)
    if document is None and current.document:
        revised.document = current.document.name  # the signed document still applies
    revised.version = current.version + 1
    revised.replaces = current
    revised.save(update_fields=["version", "replaces", "document"])
    return revised
