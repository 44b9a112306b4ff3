"""Partnership conventions (versions kept) and freshness reminders of stale services."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.catalogue import actions
from parcours.catalogue.models import Notification, PartnershipConvention, Service
from tests.accounts.factories import member
from tests.catalogue.factories import ServiceFactory


@pytest.fixture
def coordinator(other_organisation):
    return member(other_organisation, Role.COORDINATOR, username="nadia")


def test_new_version_keeps_the_old_one_and_its_document(coordinator, organisation, lille, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first = actions.create_convention(
        by=coordinator,
        title="Jeunes de Lille",
        organisations=[organisation],
        publics=["jeunes"],
        territories=[lille],
        start_on=timezone.localdate(),
        document=SimpleUploadedFile("convention.pdf", b"%PDF-1.4 signed"),
    )
    second = actions.revise_convention(first, by=coordinator, publics=["jeunes", "femmes"])

    assert (second.version, second.replaces) == (2, first)
    assert second.document.name == first.document.name
    assert list(PartnershipConvention.objects.current()) == [second]
    first.refresh_from_db()
    assert first.publics == ["jeunes"]


def test_only_coordinators_write_conventions(counselor, organisation, lille):
    with pytest.raises(PermissionDenied):
        actions.create_convention(
            by=counselor,
            title="X",
            organisations=[organisation],
            publics=["jeunes"],
            territories=[lille],
            start_on=timezone.localdate(),
        )


def test_convention_rejects_unknown_public(coordinator, organisation, lille):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.create_convention(
            by=coordinator,
            title="X",
            organisations=[organisation],
            publics=["martiens"],
            territories=[lille],
            start_on=timezone.localdate(),
        )


def test_convention_api_and_pages(client, coordinator, organisation, lille):
    client.force_login(coordinator)
    created = client.post(
        "/api/v1/conventions",
        {
            "title": "RSA Lille",
            "organisations": [str(organisation.public_id)],
            "publics": ["beneficiaires-des-minimas-sociaux"],
            "territories": ["59350"],
            "start_on": timezone.localdate().isoformat(),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    convention = PartnershipConvention.objects.get()
    assert client.get(reverse("catalogue:convention_list")).status_code == 200
    assert client.get(reverse("catalogue:convention_detail", args=[convention.public_id])).status_code == 200


def test_stale_services_reminded_once_per_period(
    organisation, counselor, manager, django_capture_on_commit_callbacks
):
    old = timezone.localdate() - datetime.timedelta(days=200)
    stale = ServiceFactory(organisation=organisation, updated_on=old, update_frequency_days=180)
    ServiceFactory(organisation=organisation)  # fresh
    assert list(Service.objects.stale()) == [stale]

    with django_capture_on_commit_callbacks(execute=True):
        call_command("catalogue", "remind-stale")
        call_command("catalogue", "remind-stale")

    notes = Notification.objects.filter(kind=Notification.Kind.SERVICE_STALE)
    assert list(notes.values_list("recipient", flat=True)) == [manager.pk]
    assert len(mail.outbox) == 1
    # A period later, one more reminder.
    later = timezone.localdate() + datetime.timedelta(days=31)
    assert actions.remind_stale_services(today=later) == 1
    assert actions.remind_stale_services(today=later) == 0


def test_confirming_freshness_clears_the_stale_flag(client, organisation, counselor):
    stale = ServiceFactory(
        organisation=organisation, updated_on=timezone.localdate() - datetime.timedelta(days=400)
    )
    client.force_login(counselor)
    assert client.post(reverse("catalogue:service_confirm", args=[stale.public_id])).status_code == 302
    stale.refresh_from_db()
    assert not stale.is_stale()


def test_outsider_cannot_edit_a_service(client, organisation, outsider):
    service = ServiceFactory(organisation=organisation)
    client.force_login(outsider)
    assert client.get(reverse("catalogue:service_edit", args=[service.public_id])).status_code == 404
    assert client.post(reverse("catalogue:service_confirm", args=[service.public_id])).status_code == 404
    response = client.patch(
        f"/api/v1/services/{service.public_id}",
        {"version": 1, "name": "Piraté"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_service_edit_keeps_input_on_concurrent_change(client, organisation, counselor):
    service = ServiceFactory(organisation=organisation, publics=["jeunes"])
    client.force_login(counselor)
    url = reverse("catalogue:service_edit", args=[service.public_id])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, "")}
    data.update(
        {
            "name": "Nouveau nom",
            "description": "Une description assez longue.",
            "version": service.version,
            "thematiques": service.thematiques,
            "publics": ["jeunes"],
            "update_frequency_days": 180,
        }
    )
    data.pop("territories", None)
    Service.objects.filter(pk=service.pk).update(version=service.version + 1)
    response = client.post(url, data)
    assert response.status_code == 409
    assert "Nouveau nom" in response.text
