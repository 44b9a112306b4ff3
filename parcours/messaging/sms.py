"""SMS adapter: one small interface, a console backend for `make run`, an in-memory one for the
tests, and one real provider (Brevo transactional SMS, HTTP API v3).

A backend returns the provider's message id, or raises DeliveryError with a short code. `retryable`
says whether trying again later may succeed (network, rate limit, provider down) or not
(refused number, account problem): the delivery layer retries only the former.
"""

import re
import sys

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


class DeliveryError(Exception):
    """A message could not be handed over (e-mail or SMS)."""

    def __init__(self, code: str, *, retryable: bool):
        super().__init__(code)
        self.code = code[:100]
        self.retryable = retryable


def normalise_phone(value: str) -> str:
    """A French number in national form (0612345678); other numbers keep their digits with '+'."""
    digits = re.sub(r"[^\d+]", "", value or "")
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    return digits


def international(phone: str) -> str:
    """E.164 without '+' (what Brevo expects): 0612345678 -> 33612345678."""
    phone = normalise_phone(phone)
    if phone.startswith("+"):
        return phone[1:]
    if phone.startswith("0") and len(phone) == 10:
        return "33" + phone[1:]
    return phone


class BaseSmsBackend:
    def send(self, *, to: str, text: str) -> str:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints the SMS on standard output (development only, like Django's console e-mail backend)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, *, to: str, text: str) -> str:
        self.stream.write(f"--- SMS to {to} ---\n{text}\n---\n")
        self.stream.flush()
        return "console"


# Messages sent through the locmem backend (tests), like django.core.mail.outbox.
outbox: list[dict] = []


class LocmemSmsBackend(BaseSmsBackend):
    def send(self, *, to: str, text: str) -> str:
        outbox.append({"to": to, "text": text})
        return f"locmem-{len(outbox)}"


class BrevoSmsBackend(BaseSmsBackend):
    """Brevo transactional SMS: POST /v3/transactionalSMS/send with the `api-key` header.

    Success is 201 with {"messageId": ...}; errors are {"code": "...", "message": "..."} with a
    4xx/5xx status. Only the code is kept (the message may quote the number)."""

    url = "https://api.brevo.com/v3/transactionalSMS/send"
    timeout = 10

    def __init__(self, api_key: str | None = None, sender: str | None = None):
        self.api_key = api_key or settings.BREVO_API_KEY
        self.sender = sender or settings.SMS_SENDER

    def send(self, *, to: str, text: str) -> str:
        payload = {
            "sender": self.sender,
            "recipient": international(to),
            "content": text,
            "type": "transactional",
            "unicodeEnabled": True,
        }
        headers = {"api-key": self.api_key, "accept": "application/json", "content-type": "application/json"}
        try:
            response = requests.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise DeliveryError(f"network:{type(exc).__name__}", retryable=True) from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code in (200, 201) and "messageId" in data:
            return str(data["messageId"])
        code = str(data.get("code") or f"http_{response.status_code}")
        # 429 (rate limit) and server errors pass; a refused request will be refused again.
        retryable = response.status_code == 429 or response.status_code >= 500
        raise DeliveryError(f"brevo:{code}", retryable=retryable)


BACKENDS = {
    "console": "parcours.messaging.sms.ConsoleSmsBackend",
    "locmem": "parcours.messaging.sms.LocmemSmsBackend",
    "brevo": "parcours.messaging.sms.BrevoSmsBackend",
}


def sms_available() -> bool:
    return bool(settings.SMS_BACKEND)


def get_sms_backend() -> BaseSmsBackend:
    name = settings.SMS_BACKEND
    if not name:
        raise ImproperlyConfigured("SMS is off (USE_SMS=false): no SMS backend")
    return import_string(BACKENDS.get(name, name))()
