"""The Brevo SMS backend against responses in the format of Brevo's API documentation
(POST /v3/transactionalSMS/send). These bodies are written from the documentation, not captured
from the live service."""

import json

import pytest
import requests
import responses

from parcours.messaging.sms import BrevoSmsBackend, DeliveryError, international

URL = BrevoSmsBackend.url
# Documented success: 201 {"messageId": <int64>}.
SENT = {"messageId": 1511882900176220}
# Documented error body: {"code": "...", "message": "..."}.
INVALID = {"code": "invalid_parameter", "message": "recipient is not valid"}
NO_CREDIT = {"code": "not_enough_credits", "message": "Not enough credits"}


def _backend():
    return BrevoSmsBackend(api_key="test-key", sender="Parcours")


@responses.activate
def test_sends_in_the_documented_format_and_returns_the_message_id():
    responses.post(URL, json=SENT, status=201)
    assert _backend().send(to="06 12 34 56 78", text="Rappel : rendez-vous demain") == "1511882900176220"
    request = responses.calls[0].request
    assert request.headers["api-key"] == "test-key"
    assert json.loads(request.body) == {
        "sender": "Parcours",
        "recipient": "33612345678",
        "content": "Rappel : rendez-vous demain",
        "type": "transactional",
        "unicodeEnabled": True,
    }


@pytest.mark.parametrize(
    ("status", "body", "code", "retryable"),
    [
        (400, INVALID, "brevo:invalid_parameter", False),
        (402, NO_CREDIT, "brevo:not_enough_credits", False),
        (429, {"code": "too_many_requests", "message": "Too many requests"}, "brevo:too_many_requests", True),
        (502, None, "brevo:http_502", True),
    ],
)
@responses.activate
def test_errors_keep_the_code_and_say_whether_to_retry(status, body, code, retryable):
    if body is None:
        responses.post(URL, body="<html>Bad gateway</html>", status=status)
    else:
        responses.post(URL, json=body, status=status)
    with pytest.raises(DeliveryError) as error:
        _backend().send(to="0612345678", text="x")
    assert (error.value.code, error.value.retryable) == (code, retryable)


@responses.activate
def test_network_error_is_retryable():
    responses.post(URL, body=requests.ConnectionError("refused"))
    with pytest.raises(DeliveryError) as error:
        _backend().send(to="0612345678", text="x")
    assert (error.value.code, error.value.retryable) == ("network:ConnectionError", True)


def test_international_numbers():
    assert international("06 12 34 56 78") == "33612345678"
    assert international("+33 6 12 34 56 78") == "33612345678"
    assert international("+32 470 12 34 56") == "32470123456"
