"""Security middleware of the staff side: no caching of personal data, idle timeout, second factor."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from parcours.accounts import mfa

LAST_ACTIVITY_KEY = "last_activity"
# The timestamp is rewritten at most once per this many seconds: a page that reads does not write
# its session on every request.
ACTIVITY_RESOLUTION = 60


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer that did not choose its own caching.

    Pages, portal pages and API answers hold personal data: no browser or proxy may keep them.
    Static files are served earlier (WhiteNoise) with their own long cache headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


class InactivityTimeoutMiddleware:
    """Logs out a staff session idle for more than SESSION_INACTIVITY_TIMEOUT seconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key and SESSION_KEY in session:
            now = int(time.time())
            last = session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - last > settings.SESSION_INACTIVITY_TIMEOUT:
                logout(request)
                minutes = settings.SESSION_INACTIVITY_TIMEOUT // 60
                messages.info(
                    request,
                    _("Votre session a été fermée après %(minutes)s minutes d'inactivité. Reconnectez-vous.")
                    % {"minutes": minutes},
                )
            elif last is None or now - last >= ACTIVITY_RESOLUTION:
                session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class MFARequiredMiddleware:
    """Sends a session that must use a second factor and has not yet entered one to the set-up
    page (no application yet) or to the code page; the API answers 401 to such a session."""

    # passkey_add checks itself that a user with a second factor has used it in this session.
    ALLOWED = (
        "accounts:mfa_setup",
        "accounts:mfa_verify",
        "accounts:passkey_add",
        "accounts:logout",
        "set_language",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.MFA_ENFORCED:
            answer = self._check(request)
            if answer is not None:
                return answer
        return self.get_response(request)

    def _check(self, request):
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return None  # anonymous, a person of the portal, or an API token
        user = request.user
        if not user.is_authenticated or user.is_verified() or not mfa.must_use_mfa(user):
            return None
        if request.path.startswith(settings.STATIC_URL):
            return None
        allowed = {reverse(name) for name in self.ALLOWED}
        if request.path in allowed:
            return None
        if request.path.startswith("/api/"):
            if "HTTP_AUTHORIZATION" in request.META:
                return None  # a bearer token: the API authenticates it, the session is not used
            return JsonResponse({"error": "second factor required"}, status=401)
        target = "accounts:mfa_verify" if mfa.has_confirmed_device(user) else "accounts:mfa_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
