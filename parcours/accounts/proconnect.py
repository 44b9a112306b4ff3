"""ProConnect single sign-on for staff (OpenID Connect through Authlib), behind USE_PROCONNECT.

ProConnect (the State's identity federation for public agents and their partners) vouches for a
professional e-mail address. It logs in only an existing, active user whose e-mail is that address
(one user, case ignored): nobody gets an account by ProConnect alone, accounts and memberships stay
created by an administrator. The second factor is still asked afterwards when the user must use it
(docs/security.md): ProConnect's own assurance level is not read.
"""

import logging

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from parcours.accounts.models import User

logger = logging.getLogger(__name__)

SCOPES = "openid email given_name usual_name uid siret"
_oauth = OAuth()
_client = None


def client():
    """The registered OpenID Connect client (built on first use, from the settings)."""
    global _client
    if not settings.USE_PROCONNECT:
        raise Http404
    if _client is None:
        _client = _oauth.register(
            name="proconnect",
            client_id=settings.PROCONNECT_CLIENT_ID,
            client_secret=settings.PROCONNECT_CLIENT_SECRET,
            server_metadata_url=settings.PROCONNECT_ISSUER.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPES},
        )
    return _client


def claims_of(oidc_client, token: dict) -> dict:
    """The identity's claims: the ID token's, completed by the userinfo endpoint.

    ProConnect answers the userinfo endpoint with a signed JWT (application/jwt), checked against
    the provider's keys; a plain JSON answer is read as is."""
    claims = dict(token.get("userinfo") or {})
    if claims.get("email"):
        return claims
    metadata = oidc_client.load_server_metadata()
    response = oidc_client.get(metadata["userinfo_endpoint"], token=token)
    response.raise_for_status()
    if response.headers.get("Content-Type", "").startswith("application/jwt"):
        keys = KeySet.import_key_set(oidc_client.fetch_jwk_set())
        info = jwt.decode(response.text.strip(), keys).claims
    else:
        info = response.json()
    if claims.get("sub") and info.get("sub") != claims["sub"]:
        raise OAuthError(error="userinfo_sub_mismatch")
    return {**claims, **info}


def user_for_email(email: str) -> User | None:
    users = list(User.objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    return users[0] if len(users) == 1 else None


def _failed(request: HttpRequest) -> HttpResponse:
    messages.error(
        request, _("La connexion avec ProConnect n'a pas abouti. Réessayez, ou utilisez votre mot de passe.")
    )
    return redirect("accounts:login")


@login_not_required
def start(request: HttpRequest) -> HttpResponse:
    redirect_uri = request.build_absolute_uri(reverse("accounts:proconnect_callback"))
    return client().authorize_redirect(request, redirect_uri)


@login_not_required
def callback(request: HttpRequest) -> HttpResponse:
    oidc = client()
    try:
        token = oidc.authorize_access_token(request)
        claims = claims_of(oidc, token)
    except (OAuthError, JoseError, ValueError) as exc:
        logger.info("proconnect error=%s", getattr(exc, "error", type(exc).__name__))
        return _failed(request)
    email = claims.get("email") or ""
    user = user_for_email(email) if email else None
    if user is None:
        messages.error(
            request,
            _(
                "Aucun compte Parcours actif n'a l'adresse donnée par ProConnect. Demandez à "
                "l'administrateur·rice de votre organisation de créer votre compte avec cette adresse."
            ),
        )
        return redirect("accounts:login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    logger.info("proconnect login user=%s", user.pk)
    return redirect("home")
