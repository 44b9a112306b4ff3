"""Authentication for the JSON API: bearer tokens for integrations, the session for the browser."""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from parcours.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        api_token = (
            ApiToken.objects.active().select_related("user").filter(key_hash=ApiToken.hash_key(token)).first()
        )
        if api_token is None or not api_token.user.is_active:
            return None
        # Touch at most once a minute: the API must not write on every read.
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user


class BrowserSessionAuth(SessionAuth):
    """Session authentication for same-site pages (CSRF is checked on unsafe methods)."""
