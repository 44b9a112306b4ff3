import datetime

import pytest

from parcours.people.models import Person, name_key
from tests.people.factories import PersonFactory

BIRTH = datetime.date(1990, 5, 17)


@pytest.fixture
def existing(db):
    return PersonFactory(first_name="Hélène", last_name="Lefèvre-Dupont", birth_date=BIRTH)


def test_name_key_removes_accents_case_and_punctuation():
    assert name_key("Hélène", "LEFÈVRE-Dupont") == "helene lefevre dupont"


@pytest.mark.parametrize(
    "first,last",
    [
        ("Hélène", "Lefèvre-Dupont"),  # identical
        ("helene", "LEFEVRE DUPONT"),  # accents, case, hyphen
        ("Helene", "Lefevre-Dupond"),  # a typo
        ("Hélen", "Lefèvre-Dupont"),  # a missing letter
        ("Lefèvre-Dupont", "Hélène"),  # first and last swapped
    ],
)
def test_close_names_born_the_same_day_are_duplicates(existing, first, last):
    matches = Person.objects.possible_duplicates(first_name=first, last_name=last, birth_date=BIRTH)
    assert [m[0] for m in matches] == [existing]
    assert 85 <= matches[0][1] <= 100


def test_different_birth_date_is_not_a_duplicate(existing):
    other_day = BIRTH + datetime.timedelta(days=1)
    assert (
        Person.objects.possible_duplicates(
            first_name="Hélène", last_name="Lefèvre-Dupont", birth_date=other_day
        )
        == []
    )


def test_different_person_same_birth_date_is_not_a_duplicate(existing):
    assert Person.objects.possible_duplicates(first_name="Karim", last_name="Benali", birth_date=BIRTH) == []
