"""Accounts of the people supported. A person's account is not a Django user: it has no
membership, no role and no staff session, so no staff page or API can ever let it in. The person
logs in with a one-time code (or an optional password, or FranceConnect) and gets a session of
their own (parcours.portal.auth)."""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class PersonAccount(models.Model):
    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="portal_account", verbose_name=_("personne")
    )
    # Optional identifier chosen for the person (e.g. the demo's "personne"); they may also log
    # in with the e-mail address or the mobile number below.
    login = models.CharField(_("identifiant"), max_length=150, unique=True, null=True, blank=True)
    # Copied (normalised) from the person's contact details at invitation: where codes go.
    email = models.EmailField(_("courriel de connexion"), blank=True, db_index=True)
    phone = models.CharField(_("mobile de connexion"), max_length=20, blank=True, db_index=True)
    password = models.CharField(max_length=128, blank=True)  # Django hash; empty: codes only
    franceconnect_sub = models.CharField(max_length=255, unique=True, null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("actif"), default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField(_("invité·e le"), default=timezone.now)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)

    class Meta:
        verbose_name = _("compte de personne accompagnée")
        verbose_name_plural = _("comptes des personnes accompagnées")

    def __str__(self) -> str:
        return f"compte {self.pk}"

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)


class LoginCode(models.Model):
    """A one-time code: only a keyed hash is stored; it expires within minutes and dies after a
    few wrong tries."""

    account = models.ForeignKey(PersonAccount, on_delete=models.CASCADE, related_name="login_codes")
    code_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["account", "expires_at"])]

    def __str__(self) -> str:
        return f"code {self.pk}"

    @staticmethod
    def hash_code(account_id: int, code: str) -> str:
        return salted_hmac("parcours.portal.login_code", f"{account_id}:{code}").hexdigest()

    def matches(self, code: str) -> bool:
        return hmac.compare_digest(self.code_hash, self.hash_code(self.account_id, code))


class LoginThrottle(models.Model):
    """One login request or failure, by a keyed hash of who asked (an account, an IP address):
    counted over a window to slow down guessing and flooding, without storing any address."""

    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["key", "at"]), models.Index(fields=["at"], name="login_throttle_at")]

    def __str__(self) -> str:
        return self.key[:8]

    @staticmethod
    def key_for(kind: str, value) -> str:
        return hashlib.sha256(salted_hmac("parcours.portal.throttle", f"{kind}:{value}").digest()).hexdigest()
