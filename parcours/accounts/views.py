from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.accounts import mfa, passkeys
from parcours.accounts.models import ApiToken, Passkey


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "use_proconnect": settings.USE_PROCONNECT}


def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's own API tokens; the secret is shown once, at creation."""
    new_key = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:100]
        if not name:
            messages.error(request, _("Donnez un nom au jeton (par exemple l'outil qui l'utilisera)."))
        else:
            _token, new_key = ApiToken.generate(request.user, name)
    tokens = ApiToken.objects.active().filter(user=request.user).order_by("-created_at")
    return render(request, "accounts/api_tokens.html", {"tokens": tokens, "new_key": new_key})


@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.active(), pk=token_id, user=request.user)
    token.revoke()
    messages.success(request, _("Jeton révoqué."))
    return redirect("accounts:api_tokens")


class PasswordChangeView(auth_views.PasswordChangeView):
    """The staff user changes their own password (the CNIL rule of AUTH_PASSWORD_VALIDATORS)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return reverse("home")


def _verify_first(target: str) -> HttpResponse:
    return redirect(f"{reverse('accounts:mfa_verify')}?{urlencode({'next': target})}")


def _security_page(request: HttpRequest, status: int = 200, **extra) -> HttpResponse:
    """The state of the user's second factors: application, passkeys, recovery codes."""
    user = request.user
    context = {
        "next": _next_url(request),
        "must": mfa.must_use_mfa(user),
        "has_totp": mfa.has_totp(user),
        "passkeys": passkeys.passkeys_of(user),
        "remaining": mfa.remaining_recovery_codes(user),
        "verified": user.is_verified(),
        **extra,
    }
    return render(request, "accounts/mfa_status.html", context, status=status)


def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Second factor: scan the QR code, confirm with a code; the recovery codes are shown once.

    Once set up (an application or a passkey), the page shows the state and lets a verified session
    draw new recovery codes, add, rename or remove passkeys, and add or replace the application."""
    user = request.user
    context = {"next": _next_url(request), "must": mfa.must_use_mfa(user)}
    if mfa.has_confirmed_device(user) and request.method == "GET" and "replace" not in request.GET:
        return _security_page(request)
    if mfa.has_confirmed_device(user) and not user.is_verified():
        # Replacing the application needs a second factor first (else a stolen password would do).
        return _verify_first(f"{reverse('accounts:mfa_setup')}?replace=1")
    device = mfa.pending_totp_device(user)
    if request.method == "POST":
        codes = mfa.confirm_totp_device(request, device, request.POST.get("token", ""))
        if codes is not None:
            context["codes"] = codes
            return render(request, "accounts/mfa_recovery_codes.html", context)
        context["error"] = _("Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et réessayez.")
    context["qr_code"] = mfa.qr_code_svg(device)
    context["secret"] = mfa.secret_for_manual_entry(device)
    context["first_factor"] = not mfa.has_confirmed_device(user)
    status = 400 if "error" in context else 200
    return render(request, "accounts/mfa_setup.html", context, status=status)


def mfa_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code of the application, a recovery code, or one of the passkeys."""
    user = request.user
    if not mfa.has_confirmed_device(user):
        return redirect(f"{reverse('accounts:mfa_setup')}?{urlencode({'next': _next_url(request)})}")
    context = {"next": _next_url(request), "has_totp": mfa.has_totp(user)}
    status = 200
    if request.method == "POST" and "credential" in request.POST:
        try:
            passkeys.authenticate(request, request.POST["credential"])
        except passkeys.PasskeyError as error:
            context["passkey_error"] = error.message
            status = 400
        else:
            return redirect(context["next"])
    elif request.method == "POST":
        result = mfa.verify(request, request.POST.get("token", ""))
        if result is mfa.Verification.OK:
            return redirect(context["next"])
        if result is mfa.Verification.THROTTLED:
            context["error"] = _(
                "Trop d'essais : attendez quelques instants avant de saisir un nouveau code."
            )
        else:
            context["error"] = _("Ce code n'est pas valable.")
        status = 400
    if mfa.has_passkey(user):
        context["passkey_options"] = passkeys.authentication_options(request)
    return render(request, "accounts/mfa_verify.html", context, status=status)


@require_POST
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), for a session verified by the second factor."""
    if not mfa.has_confirmed_device(request.user) or not request.user.is_verified():
        return redirect("accounts:mfa_setup")
    codes = mfa.regenerate_recovery_codes(request.user)
    return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": reverse("home")})


def passkey_add(request: HttpRequest) -> HttpResponse:
    """Register a passkey: the page gives the browser its options, the browser posts the answer.

    A user who already has a second factor must have used it in this session first."""
    user = request.user
    if mfa.has_confirmed_device(user) and not user.is_verified():
        return _verify_first(reverse("accounts:passkey_add"))
    context = {"next": _next_url(request), "must": mfa.must_use_mfa(user), "name": ""}
    status = 200
    if request.method == "POST":
        context["name"] = passkeys.clean_name(request.POST.get("name", ""))
        try:
            passkey, codes = passkeys.register(request, context["name"], request.POST.get("credential", ""))
        except passkeys.PasskeyError as error:
            context["error"] = error.message
            status = 400
        else:
            if codes is not None:
                context["codes"] = codes
                return render(request, "accounts/mfa_recovery_codes.html", context)
            messages.success(request, _("Clé d'accès « %(name)s » enregistrée.") % {"name": passkey.name})
            return redirect("accounts:mfa_setup")
    context["options"] = passkeys.registration_options(request)
    return render(request, "accounts/passkey_add.html", context, status=status)


def _own_passkey_for_change(request: HttpRequest, passkey_id: int) -> Passkey:
    return get_object_or_404(Passkey, pk=passkey_id, user=request.user, confirmed=True)


@require_POST
def passkey_rename(request: HttpRequest, passkey_id: int) -> HttpResponse:
    passkey = _own_passkey_for_change(request, passkey_id)
    if not request.user.is_verified():
        return _verify_first(reverse("accounts:mfa_setup"))
    name = passkeys.clean_name(request.POST.get("name", ""))
    if not name:
        error = _("Donnez un nom à la clé d'accès.")
        return _security_page(request, status=400, passkey_error=(passkey.pk, error), typed_name=name)
    passkeys.rename(passkey, name)
    messages.success(request, _("Clé d'accès renommée."))
    return redirect("accounts:mfa_setup")


@require_POST
def passkey_delete(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """Remove a passkey: a verified session and the password; never the last factor of a user who
    must use one."""
    passkey = _own_passkey_for_change(request, passkey_id)
    if not request.user.is_verified():
        return _verify_first(reverse("accounts:mfa_setup"))
    error = None
    if not request.user.check_password(request.POST.get("password", "")):
        error = _("Mot de passe incorrect.")
    elif mfa.must_use_mfa(request.user) and passkeys.is_last_factor(passkey):
        error = _(
            "C'est votre dernier second facteur et votre rôle en demande un : ajoutez d'abord une "
            "application ou une autre clé d'accès."
        )
    if error:
        return _security_page(request, status=400, passkey_error=(passkey.pk, error))
    name = passkey.name
    passkeys.delete(passkey)
    messages.success(request, _("Clé d'accès « %(name)s » supprimée.") % {"name": name})
    return redirect("accounts:mfa_setup")
