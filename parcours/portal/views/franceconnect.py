"""FranceConnect (OpenID Connect through Authlib), behind USE_FRANCECONNECT.

A FranceConnect identity logs in only to an account it was linked to: the person first logs in
with a code, then links FranceConnect from "Connexion et sécurité". Nobody gets an account by
FranceConnect alone (the counselor's invitation stays the way in)."""

import logging

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from parcours.portal import actions
from parcours.portal.auth import current_account, login_person

logger = logging.getLogger(__name__)

_oauth = OAuth()
_client = None


def client():
    """The registered OpenID Connect client (built on first use, from the settings)."""
    global _client
    if not settings.USE_FRANCECONNECT:
        raise Http404
    if _client is None:
        _client = _oauth.register(
            name="franceconnect",
            client_id=settings.FRANCECONNECT_CLIENT_ID,
            client_secret=settings.FRANCECONNECT_CLIENT_SECRET,
            server_metadata_url=settings.FRANCECONNECT_ISSUER.rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid given_name family_name birthdate"},
        )
    return _client


@login_not_required
def start(request: HttpRequest) -> HttpResponse:
    redirect_uri = request.build_absolute_uri(reverse("portal:franceconnect_callback"))
    return client().authorize_redirect(request, redirect_uri, acr_values="eidas1")


@login_not_required
def callback(request: HttpRequest) -> HttpResponse:
    fc = client()
    try:
        token = fc.authorize_access_token(request)
    except OAuthError as exc:
        logger.info("franceconnect error=%s", exc.error)
        messages.error(
            request, _("La connexion avec FranceConnect n'a pas abouti. Réessayez, ou demandez un code.")
        )
        return redirect("portal:login")
    sub = (token.get("userinfo") or {}).get("sub")
    if not sub:
        messages.error(
            request, _("La connexion avec FranceConnect n'a pas abouti. Réessayez, ou demandez un code.")
        )
        return redirect("portal:login")
    account = current_account(request)
    if account is not None:  # a logged-in person links their identity
        try:
            actions.link_franceconnect(account, sub=sub)
        except ValidationError:
            messages.error(request, _("Cette identité FranceConnect est déjà reliée à un autre compte."))
        else:
            messages.success(request, _("FranceConnect est relié à votre espace."))
        return redirect("portal:security")
    account = actions.account_for_franceconnect(sub)
    if account is None:
        messages.error(
            request,
            _(
                "Aucun espace n'est relié à cette identité FranceConnect. Connectez-vous une première fois "
                "avec un code, puis reliez FranceConnect depuis « Connexion et sécurité »."
            ),
        )
        return redirect("portal:login")
    login_person(request, account)
    return redirect("portal:home")
