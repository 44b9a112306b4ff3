"""Input no database can store, refused before any view runs: a NUL character in the query string
or in a JSON / form body (PostgreSQL text cannot hold it). The API answers 422 with its error shape,
declared on every operation that takes input (config/api.py); pages answer 400."""

from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest, JsonResponse

API_PREFIX = "/api/"
CHECKED_BODIES = ("application/json", "application/x-www-form-urlencoded")


def _has_nul(request) -> bool:
    if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
        return True
    if request.content_type not in CHECKED_BODIES:
        return False  # files (multipart) may hold any byte
    body = request.body
    if request.content_type == "application/json":
        return b"\x00" in body or b"\\u0000" in body
    return b"\x00" in unquote_to_bytes(body)


class RejectNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            if request.path.startswith(API_PREFIX):
                return JsonResponse({"error": "a value contains a NUL character (\\u0000)"}, status=422)
            return HttpResponseBadRequest("Caractère interdit (NUL) dans la saisie.")
        return self.get_response(request)
