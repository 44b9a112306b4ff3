import factory
from django.utils import timezone

from parcours.cases.models import Appointment, Contact, FollowUpMember, SupportEpisode
from parcours.cases.summary import refresh_contact_summary
from tests.accounts.factories import member
from tests.organisations.factories import OrganisationFactory
from tests.people.factories import PersonFactory


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportEpisode

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    referent = factory.LazyAttribute(lambda e: member(e.organisation))
    commune = factory.SelfAttribute("person.commune")
    started_on = factory.LazyFunction(timezone.localdate)
    contact_target_days = 30
    next_contact_due = factory.LazyAttribute(lambda e: e.started_on + timezone.timedelta(days=30))

    class Params:
        closed = factory.Trait(
            stage="closed", ended_on=factory.LazyFunction(timezone.localdate), end_reason="other"
        )
        overdue = factory.Trait(
            next_contact_due=factory.LazyFunction(lambda: timezone.localdate() - timezone.timedelta(days=3))
        )


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    episode = factory.SubFactory(EpisodeFactory)
    channel = "phone"
    summary = "Point d'étape"
    author = factory.SelfAttribute("episode.referent")

    @factory.post_generation
    def episode_summary(obj, create, extracted, **kwargs):
        """Contacts written directly (not through record_contact): keep the episode's
        denormalised first contact and count true, as the migration and bulk loads do."""
        if create:
            refresh_contact_summary([obj.episode_id])


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    episode = factory.SubFactory(EpisodeFactory)
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=2))
    channel = "in_person"
    with_user = factory.SelfAttribute("episode.referent")
    created_by = factory.SelfAttribute("episode.referent")


class FollowUpMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpMember

    episode = factory.SubFactory(EpisodeFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.LazyAttribute(lambda m: member(m.organisation))
    role = "Travailleur social"
    added_by = factory.SelfAttribute("episode.referent")
