"""Person accounts: invitation by the counselor, one-time codes (e-mail, SMS), optional password,
throttling, no account enumeration, and the wall between the person's session and staff pages."""

import datetime
import re
import subprocess
import sys

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from parcours.cases.models import CaseEvent
from parcours.messaging import sms
from parcours.messaging.models import OutboundMessage
from parcours.portal import actions
from parcours.portal.auth import SESSION_KEY
from parcours.portal.models import LoginCode, PersonAccount
from tests.portal.factories import PersonAccountFactory, log_in_person

LOGIN = reverse("portal:login")
CODE = reverse("portal:enter_code")
HOME = reverse("portal:home")


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()


def _code_from_mail() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def _ask_code(client, identifier: str):
    return client.post(LOGIN, {"identifier": identifier})


# --- Invitation -------------------------------------------------------------------------------


def test_counselor_invites_person_from_person_page(
    client, counselor, person, django_capture_on_commit_callbacks
):
    client.force_login(counselor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal_staff:invite", args=[person.public_id]))
    assert response.status_code == 302
    account = PersonAccount.objects.get(person=person)
    assert account.email == person.email.lower()
    assert account.invited_by == counselor
    assert CaseEvent.objects.filter(person=person, data__what=actions.EVENT_ACCOUNT_INVITED).count() == 1
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert reverse("portal:login") in mail.outbox[0].body
    invitation = OutboundMessage.objects.get(person=person, kind=OutboundMessage.Kind.INVITATION)
    assert invitation.status == OutboundMessage.Status.SENT


def test_person_page_offers_the_invitation(client, counselor, person):
    client.force_login(counselor)
    page = client.get(reverse("people:detail", args=[person.public_id])).content.decode()
    assert reverse("portal_staff:invite", args=[person.public_id]) in page


def test_outsider_cannot_invite(client, outsider, person):
    client.force_login(outsider)
    response = client.post(reverse("portal_staff:invite", args=[person.public_id]))
    assert response.status_code == 404
    assert not PersonAccount.objects.exists()


def test_invitation_needs_an_address(counselor, person):
    person.email = ""
    person.save()
    with pytest.raises(ValidationError):
        actions.invite_person(person, by=counselor)
    assert not PersonAccount.objects.exists()


def test_closed_account_cannot_log_in(client, counselor, person):
    account = actions.invite_person(person, by=counselor)
    actions.close_account(account, by=counselor)
    log_in_person(client, account)
    assert client.get(HOME).status_code == 302


# --- One-time code ----------------------------------------------------------------------------


def test_person_logs_in_with_a_code_sent_by_email(client, db):
    account = PersonAccountFactory()
    response = _ask_code(client, account.email.upper())
    assert response.status_code == 302 and response["Location"] == CODE
    code = _code_from_mail()
    stored = LoginCode.objects.get(account=account)
    assert code not in stored.code_hash
    # The text of the code message is not kept in clear.
    assert code not in OutboundMessage.objects.get(kind=OutboundMessage.Kind.LOGIN_CODE).body
    response = client.post(CODE, {"code": code})
    assert response.status_code == 302 and response["Location"] == HOME
    assert client.get(HOME).status_code == 200
    account.refresh_from_db()
    assert account.last_login_at is not None


def test_code_is_sent_by_sms_to_a_mobile_number(client, db):
    account = PersonAccountFactory(phone="0612345678")
    _ask_code(client, "06 12 34 56 78")
    assert len(sms.outbox) == 1 and sms.outbox[0]["to"] == "0612345678"
    code = re.search(r"\b(\d{6})\b", sms.outbox[0]["text"]).group(1)
    assert client.post(CODE, {"code": code}).status_code == 302
    assert client.session[SESSION_KEY] == account.pk


def test_code_works_once(client, db):
    account = PersonAccountFactory()
    _ask_code(client, account.email)
    code = _code_from_mail()
    assert client.post(CODE, {"code": code}).status_code == 302
    client.post(reverse("portal:logout"))
    client.post(LOGIN, {"identifier": account.email})  # asks again, then reuses the old code
    mail.outbox.clear()
    response = client.post(CODE, {"code": code})
    assert response.status_code == 400


def test_code_expires(client, db):
    account = PersonAccountFactory()
    _ask_code(client, account.email)
    code = _code_from_mail()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        response = client.post(CODE, {"code": code})
    assert response.status_code == 400
    assert SESSION_KEY not in client.session


def test_code_dies_after_five_wrong_tries(client, db):
    account = PersonAccountFactory()
    _ask_code(client, account.email)
    code = _code_from_mail()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post(CODE, {"code": wrong}).status_code == 400
    assert client.post(CODE, {"code": code}).status_code == 400


def test_unknown_address_gets_the_same_answer(client, db):
    account = PersonAccountFactory()
    known = _ask_code(client, account.email)
    known_page = client.get(CODE).content.decode().replace(account.email, "X")
    other = client.__class__()
    unknown = _ask_code(other, "nobody@example.org")
    unknown_page = other.get(CODE).content.decode().replace("nobody@example.org", "X")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    # Same page but for the CSRF token.
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", known_page) == strip.sub("", unknown_page)
    assert len(mail.outbox) == 1


def test_codes_per_account_are_limited(client, db, settings):
    settings.PORTAL_CODES_PER_ACCOUNT_PER_HOUR = 3
    account = PersonAccountFactory()
    for _ in range(5):
        response = _ask_code(client, account.email)
        assert response.status_code == 302
    assert len(mail.outbox) == 3


def test_requests_per_ip_are_limited(client, db, settings):
    settings.PORTAL_LOGIN_MAX_PER_IP_PER_HOUR = 4
    for n in range(4):
        assert _ask_code(client, f"someone{n}@example.org").status_code == 302
    response = _ask_code(client, "someone@example.org")
    assert response.status_code == 429
    # Another address is not slowed down.
    assert client.post(LOGIN, {"identifier": "x@example.org"}, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_empty_identifier_is_an_error_kept_on_the_page(client, db):
    response = client.post(LOGIN, {"identifier": "  "})
    assert response.status_code == 400
    assert "Indiquez votre adresse" in response.content.decode()


# --- Password -----------------------------------------------------------------------------------


def test_person_may_log_in_with_a_password(client, db):
    account = PersonAccountFactory(login="personne")
    account.set_password("parcours-demo")
    account.save()
    url = reverse("portal:password_login")
    bad = client.post(url, {"identifier": "personne", "password": "wrong"})
    assert bad.status_code == 400 and 'value="personne"' in bad.content.decode()
    assert client.post(url, {"identifier": "Personne", "password": "parcours-demo"}).status_code == 302
    assert client.get(HOME).status_code == 200


def test_person_sets_then_removes_a_password(client, db):
    account = PersonAccountFactory()
    log_in_person(client, account)
    url = reverse("portal:security")
    # The CNIL rule of every account (issue 14): a passphrase of 7 words here.
    phrase = "une phrase assez longue pour mon espace personnel"
    mismatch = client.post(url, {"password": phrase, "password2": "autre"})
    assert mismatch.status_code == 400
    too_short = client.post(url, {"password": "une phrase longue", "password2": "une phrase longue"})
    assert too_short.status_code == 400
    assert client.post(url, {"password": phrase, "password2": phrase}).status_code == 302
    account.refresh_from_db()
    assert account.check_password(phrase)
    client.post(url, {"remove": "1"})
    account.refresh_from_db()
    assert account.password == ""


# --- The wall between the person and the staff side ----------------------------------------------


def test_person_session_opens_no_staff_page_or_api(client, person):
    account = PersonAccountFactory(person=person)
    log_in_person(client, account)
    response = client.get(reverse("people:detail", args=[person.public_id]))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.get("/api/v1/persons").status_code == 401


def test_staff_session_opens_no_person_page(client, counselor):
    client.force_login(counselor)
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_login_page_links_back_to_staff_login_and_staff_login_to_portal(client, db):
    assert reverse("accounts:login") in client.get(LOGIN).content.decode()
    assert LOGIN in client.get(reverse("accounts:login")).content.decode()


# --- FranceConnect ------------------------------------------------------------------------------


def test_franceconnect_is_off_by_default(client, db):
    assert client.get(reverse("portal:franceconnect_start")).status_code == 404
    assert "FranceConnect" not in client.get(LOGIN).content.decode()


def _settings_error(env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stderr


def test_franceconnect_on_but_unconfigured_fails_at_start():
    assert "FRANCECONNECT_CLIENT_ID" in _settings_error({"USE_FRANCECONNECT": "true"})


def test_sms_on_without_provider_key_fails_at_start():
    assert "BREVO_API_KEY" in _settings_error({"USE_SMS": "true"})


def test_franceconnect_logs_in_a_linked_account_only(client, db, settings, monkeypatch):
    from parcours.portal.views import franceconnect

    settings.USE_FRANCECONNECT = True

    class FakeClient:
        sub = "fc-sub-1"

        def authorize_access_token(self, request):
            return {"userinfo": {"sub": self.sub}}

    monkeypatch.setattr(franceconnect, "client", FakeClient)
    callback = reverse("portal:franceconnect_callback")
    response = client.get(callback)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert SESSION_KEY not in client.session
    account = PersonAccountFactory()
    log_in_person(client, account)
    assert client.get(callback)["Location"] == reverse("portal:security")
    account.refresh_from_db()
    assert account.franceconnect_sub == "fc-sub-1"
    client.post(reverse("portal:logout"))
    assert client.get(callback)["Location"] == HOME
    assert client.session[SESSION_KEY] == account.pk
