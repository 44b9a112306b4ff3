import io
import logging
import re
import uuid

import pytest
from django_guid.log_filters import CorrelationId

from parcours.ops.logs import KeyValueFormatter, quote
from tests.text import mentions


@pytest.fixture
def log_lines():
    """What the console handler of the settings writes, for the request logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(CorrelationId())
    logger = logging.getLogger("parcours.request")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: stream.getvalue().splitlines()
    logger.removeHandler(handler)
    logger.setLevel(previous)


@pytest.mark.django_db
def test_each_request_logs_one_key_value_line_with_the_incoming_request_id(client, log_lines):
    request_id = str(uuid.uuid4())
    response = client.get("/health/", headers={"X-Request-ID": request_id})
    assert response["X-Request-ID"] == request_id
    [line] = log_lines()
    assert f"request_id={request_id} " in line
    assert line.endswith(
        " event=request method=GET route=/health/ view=ops:health status=200 " + line.split()[-1]
    )
    assert re.fullmatch(r"duration_ms=\d+\.\d", line.split()[-1])
    assert line.startswith("ts=")


@pytest.mark.django_db
def test_a_request_id_that_is_not_a_uuid_is_replaced(client, log_lines):
    response = client.get("/health/", headers={"X-Request-ID": 'x" injected=1'})
    new_id = response["X-Request-ID"]
    assert new_id != 'x" injected=1'
    assert str(uuid.UUID(new_id)) == new_id
    assert f"request_id={new_id} " in log_lines()[0]


@pytest.mark.django_db
def test_request_line_names_the_route_never_the_path_ids_or_query(client, counselor, person, log_lines):
    client.force_login(counselor)
    response = client.get(f"/personnes/{person.public_id}/?q={person.last_name}")
    assert response.status_code == 200
    lines = [line for line in log_lines() if "event=request" in line]
    assert len(lines) == 1
    assert "route=/personnes/<uuid:public_id>/ " in lines[0]
    assert str(person.public_id) not in lines[0]
    assert not mentions(lines[0], person.last_name)


@pytest.mark.django_db
def test_unknown_urls_are_logged_without_their_path(client, counselor, log_lines):
    client.force_login(counselor)
    assert client.get("/nulle-part/Dupont/").status_code == 404
    [line] = log_lines()
    assert " route=- view=- status=404 " in line
    assert "Dupont" not in line


def test_messages_that_are_not_key_value_are_quoted_on_one_line():
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, 'Internal "error"\nsecond line', (), None
    )
    line = KeyValueFormatter().format(record)
    assert "\n" not in line
    assert line.endswith(
        'level=ERROR logger=django.request request_id=- msg="Internal \\"error\\"\\nsecond line"'
    )


def test_tracebacks_stay_on_the_line_of_their_record():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "task=%s failed", ("12",), sys.exc_info())
    line = KeyValueFormatter().format(record)
    assert "\n" not in line
    assert ' task=12 failed exc_type=ValueError traceback="Traceback (most recent call last):\\n' in line


def test_quote_leaves_plain_values_bare():
    assert quote("GET") == "GET"
    assert quote(None) == "-"
    assert quote("a b") == '"a b"'
    assert quote("a=b") == '"a=b"'
