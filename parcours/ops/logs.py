"""Logs as one key=value line per record, each carrying the request id (stdout under `parcours serve`).

The request id comes from django-guid (``X-Request-ID``, honoured when the client or the reverse
proxy sends one, generated otherwise) and is added to every record by its log filter. Messages of
Parcours are already key=value (``logger.info("episode=%s closed by=%s", ...)``); messages of
libraries are put in ``msg="..."``. No personal data: the request line names the route pattern
(``personnes/<uuid:public_id>/``), never the path, its ids or its query string.
"""

from __future__ import annotations

import copy
import logging
import logging.config
import re
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse

KEY_VALUE = re.compile(r"^[a-z_][a-z0-9_.]*=", re.IGNORECASE)
request_logger = logging.getLogger("parcours.request")


def quote(value: object) -> str:
    """A value as it goes into a key=value line: bare when it has no space, quote or equals
    sign, else in double quotes with backslash escapes (newlines included: one line per record)."""
    text = "-" if value is None or value == "" else str(value)
    if re.search(r'[\s"=\\]', text):
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        return f'"{text}"'
    return text


class KeyValueFormatter(logging.Formatter):
    """``ts=... level=... logger=... request_id=... <message as key=value>``, time in UTC."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if not KEY_VALUE.match(message) or "\n" in message:
            message = f"msg={quote(message)}"
        fields = [
            f"ts={self.formatTime(record, '%Y-%m-%dT%H:%M:%S')}.{int(record.msecs):03d}Z",
            f"level={record.levelname}",
            f"logger={record.name}",
            f"request_id={quote(getattr(record, 'correlation_id', None))}",
            message,
        ]
        if record.exc_info:
            fields.append(f"exc_type={record.exc_info[0].__name__}")
            fields.append(f"traceback={quote(self.formatException(record.exc_info))}")
        return " ".join(fields)


def log_to_stdout() -> None:
    """The server's logs go to stdout (the commands' go to stderr, their stdout is their output)."""
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["stream"] = "ext://sys.stdout"
    logging.config.dictConfig(config)


class RequestLogMiddleware:
    """One line per request: method, route pattern, status, duration. Placed after WhiteNoise,
    so static files (served before it) are not logged; the reverse proxy logs those."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        request_logger.info(
            "event=request method=%s route=%s view=%s status=%s duration_ms=%.1f",
            quote(request.method),
            quote(f"/{match.route}" if match else None),
            quote(match.view_name if match else None),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response
