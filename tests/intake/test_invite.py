"""Inviting the person to their space at intake (the portal's invite action, registered with intake)."""

import json

from django.urls import reverse

from parcours.cases.models import CaseEvent
from parcours.messaging.models import OutboundMessage
from parcours.people.models import Person
from parcours.portal.models import PersonAccount
from tests.people.test_views import creation_data


def test_intake_form_invites_the_person_when_asked(client, counselor, organisation):
    client.force_login(counselor)
    response = client.post(
        reverse("intake:create_person"), creation_data(organisation, invite_to_portal="on")
    )
    assert response.status_code == 302
    person = Person.objects.get(last_name="Dupont")
    account = PersonAccount.objects.get(person=person)
    assert (account.email, account.phone, account.invited_by) == (
        "helene@example.org",
        "0601020304",
        counselor,
    )
    assert OutboundMessage.objects.filter(person=person, kind="invitation").count() == 1
    assert CaseEvent.objects.filter(person=person, data__what="portal_account_invited").count() == 1


def test_intake_form_does_not_invite_unless_asked(client, counselor, organisation):
    client.force_login(counselor)
    client.post(reverse("intake:create_person"), creation_data(organisation))
    assert PersonAccount.objects.count() == 0
    assert OutboundMessage.objects.filter(kind="invitation").count() == 0


def test_invitation_at_intake_needs_an_email_or_a_mobile(client, counselor, organisation):
    client.force_login(counselor)
    data = creation_data(organisation, invite_to_portal="on", email="", phone="")
    response = client.post(reverse("intake:create_person"), data)
    assert response.status_code == 400
    assert "indiquez son adresse électronique ou son numéro de mobile" in response.content.decode()
    assert Person.objects.count() == 0


def test_api_invites_at_intake(client, counselor, organisation):
    client.force_login(counselor)
    body = {
        "first_name": "Hélène",
        "last_name": "Dupont",
        "birth_date": "1990-05-17",
        "email": "helene@example.org",
        "invite_to_portal": True,
        "episode": {"organisation": str(organisation.public_id)},
    }
    response = client.post(reverse("api:person_create"), json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    assert PersonAccount.objects.get().email == "helene@example.org"
