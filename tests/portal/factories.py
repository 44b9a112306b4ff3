import factory

from parcours.portal.auth import SESSION_KEY
from parcours.portal.models import PersonAccount
from tests.people.factories import PersonFactory


class PersonAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonAccount

    person = factory.SubFactory(PersonFactory)
    email = factory.LazyAttribute(lambda a: a.person.email.lower())
    phone = ""


def log_in_person(client, account: PersonAccount) -> None:
    """What a successful code login leaves in the session."""
    session = client.session
    session[SESSION_KEY] = account.pk
    session.save()
