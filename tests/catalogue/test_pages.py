"""The remaining pages render, keep what was typed on bad input, and follow the same rights."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parcours.accounts.models import Role
from parcours.catalogue.models import Referral, Service
from tests.accounts.factories import member
from tests.catalogue.factories import ServiceFactory


def test_provider_creates_a_service_through_the_form(client, counselor, organisation):
    client.force_login(counselor)
    url = reverse("catalogue:service_create")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name": "Atelier vélo", "description": "court"})
    assert bad.status_code == 400 and 'value="Atelier vélo"' in bad.text
    ok = client.post(
        url,
        {
            "name": "Atelier vélo",
            "description": "Réparer son vélo pour aller travailler.",
            "thematiques": ["mobilite--entretenir-reparer-son-vehicule"],
            "publics": ["tous-publics"],
            "modes_accueil": ["en-presentiel"],
            "update_frequency_days": 180,
        },
    )
    assert ok.status_code == 302
    service = Service.objects.get(name="Atelier vélo")
    assert service.barriers == ["mobility"] and service.organisation == organisation


def test_referral_form_requires_the_consent_box(client, counselor, episode, other_organisation):
    service = ServiceFactory(organisation=other_organisation)
    client.force_login(counselor)
    url = reverse("catalogue:referral_create", args=[service.public_id, episode.public_id])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"shared_fields": ["identity"], "message": "Bonjour"})
    assert refused.status_code == 400 and "Bonjour" in refused.text
    assert not Referral.objects.exists()
    assert client.post(url, {"shared_fields": ["identity"], "consent_given": "on"}).status_code == 302
    assert Referral.objects.count() == 1


def test_outsider_cannot_refer_someone_elses_person(client, outsider, episode, other_organisation):
    service = ServiceFactory(organisation=other_organisation)
    client.force_login(outsider)
    url = reverse("catalogue:referral_create", args=[service.public_id, episode.public_id])
    assert client.get(url).status_code == 404


def test_import_page_reports_errors_per_record(client, other_organisation, lille):
    coordinator = member(other_organisation, Role.COORDINATOR)
    client.force_login(coordinator)
    payload = {
        "services": [
            {
                "source": "x",
                "id": "x--1",
                "structure_id": "x--s",
                "nom": "Ab",
                "description": "Trop court ?",
                "date_maj": "2024-01-01",
            }
        ]
    }
    upload = SimpleUploadedFile("c.json", json.dumps(payload).encode())
    response = client.post(reverse("catalogue:import"), {"file": upload})
    assert response.status_code == 200
    assert "x--1" in response.text and "nom" in response.text


def test_import_is_forbidden_to_counselors(client, counselor):
    client.force_login(counselor)
    assert client.get(reverse("catalogue:import")).status_code == 403
    assert (
        client.post("/api/v1/catalogue/import", {"services": []}, content_type="application/json").status_code
        == 403
    )


def test_notifications_and_convention_form_render(client, other_organisation):
    coordinator = member(other_organisation, Role.COORDINATOR)
    client.force_login(coordinator)
    assert client.get(reverse("catalogue:notifications")).status_code == 200
    assert client.get(reverse("catalogue:convention_create")).status_code == 200
    assert client.post(reverse("catalogue:notifications"), {"id": "abc"}).status_code == 404


@pytest.mark.parametrize(
    "name", ["catalogue:referral_list", "catalogue:convention_list", "catalogue:notifications"]
)
def test_staff_pages_need_login(client, name, db):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/comptes/" in response["Location"]


def test_public_export_is_valid_json(client, organisation):
    ServiceFactory(organisation=organisation)
    response = client.get(reverse("catalogue:export"))
    data = json.loads(b"".join(response.streaming_content))
    assert len(data["services"]) == 1 and len(data["structures"]) == 1
