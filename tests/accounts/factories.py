import factory

from parcours.accounts.models import Membership, Role, User
from tests.organisations.factories import OrganisationFactory


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("test-password")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.COUNSELOR


def member(organisation, role=Role.COUNSELOR, **user_fields) -> User:
    """A user with one active membership of `organisation` in `role`."""
    return MembershipFactory(organisation=organisation, role=role, user=UserFactory(**user_fields)).user
