"""Phone numbers: French by default, validated and written one way (the `phonenumbers` library)."""

import phonenumbers

DEFAULT_REGION = "FR"
# Without a "+" code, a number is read as French: metropolitan first, then overseas (0692… Réunion).
FRENCH_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF")


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    """A valid number in international format ("06 12 34 56 78" → "+33 6 12 34 56 78"); "" stays "".

    Numbers without a country code are read as French (metropolitan or overseas); foreign numbers
    need their "+" code. Raises InvalidPhone for anything that is not a possible, valid number.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    for region in (DEFAULT_REGION,) if text.startswith("+") else FRENCH_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException as exc:
            raise InvalidPhone(str(exc)) from exc
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    raise InvalidPhone(f"not a valid phone number: {text}")
