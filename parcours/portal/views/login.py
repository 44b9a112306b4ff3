"""Logging in to the person's space: one-time code (default), optional password, FranceConnect."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.portal import actions
from parcours.portal.auth import current_account, login_person, logout_person, person_required

PENDING_KEY = "portal_pending_identifier"
NEXT_KEY = "portal_next"


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _next_url(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("portal:home")


def _throttled(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/throttled.html", status=429)


def _finish_login(request: HttpRequest, account) -> HttpResponse:
    target = _next_url(request, request.session.get(NEXT_KEY))
    login_person(request, account)
    return redirect(target)


@login_not_required
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: the person gives their e-mail address, mobile number or identifier."""
    if current_account(request) is not None:
        return redirect("portal:home")
    identifier = ""
    error = ""
    if request.method == "POST":
        identifier = request.POST.get("identifier", "").strip()[:254]
        if not identifier:
            error = _("Indiquez votre adresse e-mail ou votre numéro de mobile.")
        else:
            try:
                actions.request_login_code(identifier, ip=client_ip(request))
            except actions.Throttled:
                return _throttled(request)
            request.session[PENDING_KEY] = identifier
            return redirect("portal:enter_code")
    else:
        request.session[NEXT_KEY] = request.GET.get("next", "")
    return render(
        request,
        "portal/login.html",
        {"identifier": identifier, "error": error, "franceconnect": settings.USE_FRANCECONNECT},
        status=400 if error else 200,
    )


@login_not_required
def enter_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code received. The page reads the same whether or not a code was sent."""
    identifier = request.session.get(PENDING_KEY)
    if not identifier:
        return redirect("portal:login")
    error = ""
    if request.method == "POST":
        try:
            account = actions.verify_login_code(
                identifier, request.POST.get("code", ""), ip=client_ip(request)
            )
        except actions.Throttled:
            return _throttled(request)
        if account is not None:
            return _finish_login(request, account)
        error = _("Ce code n'est pas valable. Vérifiez-le, ou demandez un nouveau code.")
    return render(
        request,
        "portal/enter_code.html",
        {"identifier": identifier, "error": error, "ttl": settings.PORTAL_CODE_TTL_MINUTES},
        status=400 if error else 200,
    )


@login_not_required
def password_login(request: HttpRequest) -> HttpResponse:
    identifier = ""
    error = ""
    if request.method == "POST":
        identifier = request.POST.get("identifier", "").strip()[:254]
        try:
            account = actions.login_with_password(
                identifier, request.POST.get("password", ""), ip=client_ip(request)
            )
        except actions.Throttled:
            return _throttled(request)
        if account is not None:
            return _finish_login(request, account)
        error = _("Identifiant ou mot de passe incorrect.")
    return render(
        request,
        "portal/password_login.html",
        {"identifier": identifier, "error": error},
        status=400 if error else 200,
    )


@require_POST
@login_not_required
def logout(request: HttpRequest) -> HttpResponse:
    logout_person(request)
    return redirect("portal:login")


@person_required
def security(request: HttpRequest) -> HttpResponse:
    """The person's login settings: optional password, FranceConnect link."""
    account = request.person_account
    errors: list[str] = []
    if request.method == "POST":
        if request.POST.get("remove"):
            actions.set_account_password(account, password=None)
            messages.success(request, _("Mot de passe supprimé : vous vous connecterez avec un code."))
            return redirect("portal:security")
        password = request.POST.get("password", "")
        if password != request.POST.get("password2", ""):
            errors = [_("Les deux mots de passe ne sont pas identiques.")]
        else:
            try:
                actions.set_account_password(account, password=password)
            except ValidationError as exc:
                errors = list(exc.messages)
            else:
                messages.success(request, _("Mot de passe enregistré."))
                return redirect("portal:security")
    return render(
        request,
        "portal/security.html",
        {"account": account, "errors": errors, "franceconnect": settings.USE_FRANCECONNECT},
        status=400 if errors else 200,
    )
