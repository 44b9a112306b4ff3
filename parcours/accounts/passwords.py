"""The password rule of the CNIL (deliberation 2022-100 of 21 July 2022, recommendation on passwords).

For a password that is the only factor and without a hardware secret, the CNIL asks for an entropy
of at least 80 bits and gives three ways to reach it; a password is accepted when it follows one:

- at least 12 characters with upper-case letters, lower-case letters, digits and special characters;
- at least 14 characters with upper-case letters, lower-case letters and digits (no special
  character required);
- a passphrase of at least 7 words (words of at least 2 letters, separated by spaces or punctuation).

The other validators of AUTH_PASSWORD_VALIDATORS add the common-password list, the all-digits
refusal and the similarity to the user's name; docs/security.md states the whole rule.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PASSPHRASE_WORDS = 7
WORD = re.compile(r"[^\W\d_]{2,}")


def character_classes(password: str) -> set[str]:
    classes = set()
    for char in password:
        if char.isupper():
            classes.add("upper")
        elif char.islower():
            classes.add("lower")
        elif char.isdigit():
            classes.add("digit")
        else:
            classes.add("special")
    return classes


def passphrase_words(password: str) -> int:
    return len(WORD.findall(password))


def is_strong(password: str) -> bool:
    classes = character_classes(password)
    if len(password) >= 12 and classes >= {"upper", "lower", "digit", "special"}:
        return True
    if len(password) >= 14 and classes >= {"upper", "lower", "digit"}:
        return True
    return passphrase_words(password) >= PASSPHRASE_WORDS


class CnilPasswordValidator:
    """AUTH_PASSWORD_VALIDATORS entry: one of the three CNIL forms (see the module docstring)."""

    def validate(self, password: str, user=None) -> None:
        if not is_strong(password):
            raise ValidationError(self.get_help_text(), code="password_not_cnil")

    def get_help_text(self) -> str:
        return _(
            "Le mot de passe doit compter au moins 12 caractères mêlant majuscules, minuscules, "
            "chiffres et caractères spéciaux, ou au moins 14 caractères mêlant majuscules, "
            "minuscules et chiffres, ou être une phrase d'au moins 7 mots."
        )
