"""What a person may see in the portal: their own file, nothing else. The rule lives in
:mod:`parcours.cases.access` (``own_*``); the plan and the referrals, which live above cases, are
scoped here from :func:`access.own_episodes`, so an id belonging to someone else is not found (404)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from parcours.cases import access
from parcours.catalogue.models import Referral
from parcours.diagnosis.models import Action, Diagnosis
from parcours.people.models import Person

own_episodes = access.own_episodes
own_appointments = access.own_appointments
own_consents = access.own_consents
own_access_log = access.own_access_log
own_contacts = access.own_contacts


def own_actions(person: Person) -> QuerySet:
    return Action.objects.filter(plan__episode__in=access.own_episodes(person))


def own_diagnoses(person: Person) -> QuerySet:
    """The self-diagnoses of the person (those a counselor fills with them are not theirs to edit)."""
    return Diagnosis.objects.filter(episode__in=access.own_episodes(person), by_person=True)


def own_referrals(person: Person) -> QuerySet:
    return Referral.objects.filter(person=person)


def get_own(queryset: QuerySet, **lookup):
    """One object of the person's own file, or 404."""
    return get_object_or_404(queryset, **lookup)


def own_obligations(person: Person) -> QuerySet:
    from parcours.obligations.models import Obligation

    return Obligation.objects.filter(episode__person=person)


def own_procedures(person: Person) -> QuerySet:
    """The person sees every procedure about them (the sensitive section is for staff)."""
    from parcours.obligations.models import SanctionProcedure

    return SanctionProcedure.objects.filter(episode__person=person)


def own_checkins(person: Person) -> QuerySet:
    from parcours.outcomes.models import CheckIn

    return CheckIn.objects.filter(outcome__episode__person=person)
