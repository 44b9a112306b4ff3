"""Workshops: capacity, waiting list, automatic promotion, attendance."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from parcours.cases.models import CaseEvent
from parcours.catalogue import actions
from parcours.catalogue.models import Notification, WorkshopRegistration
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory
from tests.catalogue.factories import ServiceFactory, SessionFactory

S = WorkshopRegistration.Status


@pytest.fixture
def session(organisation):
    return SessionFactory(service=ServiceFactory(organisation=organisation, type="atelier"), capacity=2)


@pytest.fixture
def people(counselor, organisation):
    return [EpisodeFactory(organisation=organisation, referent=counselor).person for _ in range(4)]


def test_capacity_then_waiting_list_then_promotion(session, people, counselor):
    regs = [actions.register_for_workshop(session, by=counselor, person=p) for p in people[:3]]
    assert [r.status for r in regs] == [S.REGISTERED, S.REGISTERED, S.WAITING_LIST]

    actions.cancel_workshop_registration(regs[0], by=counselor)

    regs[2].refresh_from_db()
    assert regs[2].status == S.REGISTERED
    assert CaseEvent.objects.filter(person=people[2], data__what="workshop_promoted").exists()
    assert (
        Notification.objects.filter(kind=Notification.Kind.WORKSHOP_PROMOTED, recipient=counselor).count()
        == 1
    )


def test_waiting_list_is_first_come_first_served(session, people, counselor):
    regs = [actions.register_for_workshop(session, by=counselor, person=p) for p in people]
    actions.cancel_workshop_registration(regs[1], by=counselor)
    statuses = [WorkshopRegistration.objects.get(pk=r.pk).status for r in regs]
    assert statuses == [S.REGISTERED, S.CANCELLED, S.REGISTERED, S.WAITING_LIST]


def test_raising_capacity_promotes_the_waiting_list(session, people, counselor):
    regs = [actions.register_for_workshop(session, by=counselor, person=p) for p in people]
    actions.change_workshop_capacity(session, by=counselor, capacity=3)
    assert WorkshopRegistration.objects.get(pk=regs[2].pk).status == S.REGISTERED
    assert WorkshopRegistration.objects.get(pk=regs[3].pk).status == S.WAITING_LIST
    with pytest.raises(ValidationError):
        actions.change_workshop_capacity(session, by=counselor, capacity=1)


def test_a_person_registers_once(session, people, counselor):
    actions.register_for_workshop(session, by=counselor, person=people[0])
    with pytest.raises(ValidationError):
        actions.register_for_workshop(session, by=counselor, person=people[0])


def test_attendance_after_the_session_started(session, people, counselor):
    reg = actions.register_for_workshop(session, by=counselor, person=people[0])
    with pytest.raises(ValidationError):
        actions.record_workshop_attendance(reg, by=counselor, attended=True)
    type(session).objects.filter(pk=session.pk).update(starts_at=timezone.now() - datetime.timedelta(hours=1))
    reg = actions.record_workshop_attendance(reg, by=counselor, attended=False)
    assert reg.status == S.ABSENT


def test_outsider_cannot_register_someone_they_do_not_see(session, people, outsider):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.register_for_workshop(session, by=outsider, person=people[0])


def test_workshop_page_hides_other_peoples_participants(
    client, session, people, counselor, other_organisation
):
    actions.register_for_workshop(session, by=counselor, person=people[0])
    other = member(other_organisation)
    client.force_login(other)
    response = client.get(reverse("catalogue:workshop_detail", args=[session.public_id]))
    assert response.status_code == 200
    assert people[0].last_name.upper() not in response.text
    client.force_login(counselor)
    assert (
        people[0].last_name.upper()
        in client.get(reverse("catalogue:workshop_detail", args=[session.public_id])).text
    )


def test_api_registration_and_cancel(client, session, people, counselor):
    client.force_login(counselor)
    url = f"/api/v1/sessions/{session.public_id}/registrations"
    statuses = [
        client.post(url, {"person": str(p.public_id)}, content_type="application/json").json()["status"]
        for p in people[:3]
    ]
    assert statuses == ["registered", "registered", "waiting_list"]
    first = WorkshopRegistration.objects.order_by("pk").first()
    assert client.post(f"/api/v1/registrations/{first.pk}/cancel").json()["status"] == "cancelled"
    assert WorkshopRegistration.objects.filter(status="registered").count() == 2
