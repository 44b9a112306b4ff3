import datetime

import factory

from parcours.people.models import Consent, Person


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    birth_date = factory.Sequence(
        lambda n: datetime.date(1970, 1, 1) + datetime.timedelta(days=97 * n % 15000)
    )
    email = factory.Sequence(lambda n: f"person{n}@example.org")


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    person = factory.SubFactory(PersonFactory)
    scope = Consent.Scope.CASE_FILE
