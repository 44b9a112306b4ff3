"""Issue 14, accounts: lockout per account across addresses and per address across accounts."""

from django.test import Client, override_settings
from django.urls import reverse

from parcours.accounts.models import Role
from tests.accounts.factories import member

URL = "/comptes/connexion/"


def _try(username: str, password: str, address: str):
    return Client(REMOTE_ADDR=address).post(URL, {"username": username, "password": password})


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, AXES_IP_FAILURE_LIMIT=100)
def test_an_account_is_locked_after_failures_from_different_addresses(counselor):
    assert reverse("accounts:login") == URL
    for i in range(2):
        assert _try(counselor.username, "wrong", f"192.0.2.{i + 1}").status_code == 200
    # The third failure, from a third address, locks the account (the count is per account)...
    assert _try(counselor.username, "wrong", "192.0.2.3").status_code == 429
    # ...and the right password from a fourth address is refused too.
    assert _try(counselor.username, "test-password", "198.51.100.7").status_code == 429


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, AXES_IP_FAILURE_LIMIT=4)
def test_an_address_spraying_one_password_over_accounts_is_locked(organisation, counselor):
    others = [member(organisation, Role.COUNSELOR, username=f"cible{i}") for i in range(4)]
    for user in others[:3]:  # one failure per account: no account reaches its own limit
        assert _try(user.username, "Printemps2026!", "203.0.113.9").status_code == 200
    # The fourth failure of the address, on a fourth account, locks the address...
    assert _try(others[3].username, "Printemps2026!", "203.0.113.9").status_code == 429
    # ...even for the right password of another account...
    assert _try(counselor.username, "test-password", "203.0.113.9").status_code == 429
    # ...while the same account logs in from another address.
    other_address = Client(REMOTE_ADDR="203.0.113.10")
    response = other_address.post(URL, {"username": counselor.username, "password": "test-password"})
    assert response.status_code == 302
    assert other_address.session["_auth_user_id"] == str(counselor.pk)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, AXES_IP_FAILURE_LIMIT=4)
def test_logging_in_to_ones_own_account_does_not_clear_the_address_count(organisation, counselor):
    others = [member(organisation, Role.COUNSELOR, username=f"cible{i}") for i in range(3)]
    for user in others:
        _try(user.username, "Printemps2026!", "203.0.113.9")
    assert _try(counselor.username, "test-password", "203.0.113.9").status_code == 302  # 3 < 4
    # The fourth failure, even on an account that does not exist, locks the address.
    assert _try("cible-inconnue", "Printemps2026!", "203.0.113.9").status_code == 429
    assert _try(counselor.username, "test-password", "203.0.113.9").status_code == 429
