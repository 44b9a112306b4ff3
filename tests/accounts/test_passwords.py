"""Issue 14, accounts: the CNIL password rule and the self-service password change."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.accounts.passwords import is_strong


@pytest.mark.parametrize(
    "password",
    [
        "83749261",  # digits only, 8 characters (accepted before issue 14)
        "lille2026",  # a town and a year (accepted before issue 14)
        "Lille2026!",  # four classes but 10 characters
        "lillebonne-2026-x",  # 17 characters without an upper-case letter
        "un deux trois quatre cinq six",  # 6 words
    ],
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "Lille-2026-Nord",  # 12+ characters, four classes
        "Lillebonne2026Nord",  # 14+ characters, upper, lower, digits
        "le chat dort sur le vieux canapé rouge",  # 7 words or more
    ],
)
def test_passwords_following_one_cnil_form_are_accepted(password):
    validate_password(password)


def test_the_rule_counts_classes_and_words():
    assert not is_strong("Abcdefgh1!x")  # 11 characters
    assert is_strong("Abcdefgh1!xy")  # 12, four classes
    assert not is_strong("Abcdefghijk12")  # 13 without a special character
    assert is_strong("Abcdefghijkl12")  # 14, three classes
    assert not is_strong("un deux trois quatre cinq six 7")  # a digit is not a word
    assert is_strong("un-deux-trois-quatre-cinq-six-sept")


def test_counselor_changes_their_password_from_the_menu(client, counselor):
    client.force_login(counselor)
    url = reverse("accounts:password_change")
    assert f'href="{url}"' in client.get(reverse("cases:portfolio")).content.decode()
    weak = client.post(
        url, {"old_password": "test-password", "new_password1": "lille2026", "new_password2": "lille2026"}
    )
    assert weak.status_code == 200
    assert "au moins 12 caractères" in weak.content.decode()
    counselor.refresh_from_db()
    assert counselor.check_password("test-password")
    new = "Parcours-2026-Lille"
    done = client.post(url, {"old_password": "test-password", "new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_change_done")
    counselor.refresh_from_db()
    assert counselor.check_password(new)
    # The session stays open after the change (its hash follows the new password).
    assert client.get(reverse("cases:portfolio")).status_code == 200
