"""Natural inputs: French phone numbers validated and written one way (phonenumbers)."""

from html import unescape

import pytest
from django.urls import reverse

from parcours.accounts.models import ApiToken
from parcours.people.phones import InvalidPhone, normalise_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12 34 56 78", "+33 6 12 34 56 78"),
        ("06.12.34.56.78", "+33 6 12 34 56 78"),
        ("+33612345678", "+33 6 12 34 56 78"),
        ("03 20 12 34 56", "+33 3 20 12 34 56"),
        ("0692 12 34 56", "+262 692 12 34 56"),  # Réunion without its code
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("", ""),
    ],
)
def test_phone_numbers_are_normalised(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["06", "06 12 34", "123456789012345", "abc", "00 00 00 00 00"])
def test_impossible_phone_numbers_are_refused(typed):
    with pytest.raises(InvalidPhone):
        normalise_phone(typed)


def test_person_form_refuses_an_invalid_phone_and_keeps_the_input(client, counselor, episode):
    client.force_login(counselor)
    person = episode.person
    url = reverse("people:edit", args=[person.public_id])
    page = client.get(url)
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update(
        {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "birth_date": person.birth_date.isoformat(),
            "phone": "06 12 34",
            "version": person.version,
        }
    )

    response = client.post(url, data)

    content = response.content.decode()
    assert response.status_code == 400
    assert "Numéro de téléphone non valable" in content
    assert 'value="06 12 34"' in content
    person.refresh_from_db()
    assert person.phone == ""


def test_api_normalises_the_phone_and_refuses_an_invalid_one(client, counselor, episode):
    _token, key = ApiToken.generate(counselor, "tests")
    url = f"/api/v1/persons/{episode.person.public_id}"
    headers = {"Authorization": f"Bearer {key}"}

    bad = client.patch(
        url, {"version": 1, "phone": "06 12"}, content_type="application/json", headers=headers
    )
    good = client.patch(
        url, {"version": 1, "phone": "06 12 34 56 78"}, content_type="application/json", headers=headers
    )

    assert bad.status_code == 422
    assert good.status_code == 200
    episode.person.refresh_from_db()
    assert episode.person.phone == "+33 6 12 34 56 78"


# --- Communes by name, postcode or INSEE code ----------------------------------------------------


def _commune(insee, name, postcode, population=1000):
    from tests.organisations.factories import make_commune

    return make_commune(insee_code=insee, name=name, postcode=postcode, population=population)


@pytest.fixture
def communes(db):
    return {
        "lille": _commune("59350", "Lille", "59000", 236_000),
        "lievin": _commune("62510", "Liévin", "62800", 30_500),
        "lillers": _commune("62516", "Lillers", "62190", 10_000),
        "saint_denis_93": _commune("93066", "Saint-Denis", "93200", 113_000),
        "saint_denis_974": _commune("97411", "Saint-Denis", "97400", 153_000),
    }


def _edit(client, person, commune):
    url = reverse("people:edit", args=[person.public_id])
    data = {k: v for k, v in client.get(url).context["form"].initial.items() if v is not None}
    data.update(
        {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "birth_date": person.birth_date.isoformat(),
            "commune": commune,
            "version": person.version,
        }
    )
    data.pop("preferred_channels", None)
    return client.post(url, data)


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        ("Lille", "59350"),
        ("  lille ", "59350"),
        ("Lievin", "62510"),
        ("59000", "59350"),
        ("59350", "59350"),
        ("Saint-Denis (97411)", "97411"),
    ],
)
def test_the_commune_is_typed_as_a_name_a_postcode_or_an_insee_code(
    client, counselor, episode, communes, typed, insee
):
    client.force_login(counselor)

    response = _edit(client, episode.person, typed)

    assert response.status_code == 302
    episode.person.refresh_from_db()
    assert episode.person.commune.insee_code == insee


def test_a_name_shared_by_several_communes_asks_to_choose(client, counselor, episode, communes):
    client.force_login(counselor)

    response = _edit(client, episode.person, "saint denis")

    content = unescape(response.content.decode())
    assert response.status_code == 400
    assert (
        "Plusieurs communes s'appellent saint denis : Saint-Denis (97411), Saint-Denis (93066). Choisissez-en une."
        in content
    )
    assert 'value="saint denis"' in content
    assert '<option value="Saint-Denis (97411)">97400</option>' in content
    assert '<option value="Saint-Denis (93066)">93200</option>' in content
    episode.person.refresh_from_db()
    assert episode.person.commune is None


def test_an_unknown_commune_is_refused_with_what_was_typed(client, counselor, episode, communes):
    client.force_login(counselor)

    response = _edit(client, episode.person, "Lilleville")

    assert response.status_code == 400
    assert "Aucune commune ne s" in response.content.decode()
    assert 'value="Lilleville"' in response.content.decode()


def test_typing_a_commune_fills_the_datalist_through_htmx(client, counselor, episode, communes):
    client.force_login(counselor)
    headers = {"HX-Request": "true", "HX-Trigger-Name": "commune"}

    by_name = client.get(
        reverse("people:edit", args=[episode.person.public_id]), {"commune": "lil"}, headers=headers
    )
    on_create = client.get(reverse("intake:create_person"), {"commune": "628"}, headers=headers)
    page = client.get(reverse("people:edit", args=[episode.person.public_id]))

    assert by_name.status_code == 200
    assert by_name.content.decode().split("\n")[:2] == [
        '<option value="Lille (59350)">59000</option>',
        '<option value="Lillers (62516)">62190</option>',
    ]
    assert on_create.status_code == 200
    assert '<option value="Liévin (62510)">62800</option>' in on_create.content.decode()
    assert 'list="commune-options"' in page.content.decode()
    assert '<datalist id="commune-options">' in page.content.decode()
