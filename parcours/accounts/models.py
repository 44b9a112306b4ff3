"""Staff users, their memberships (user × organisation × role), API tokens and passkeys."""

import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, TimestampMixin


class Role(models.TextChoices):
    COUNSELOR = "counselor", _("Conseiller·ère")
    MANAGER = "manager", _("Responsable d'équipe")
    COORDINATOR = "coordinator", _("Coordinateur·rice territorial·e")
    ANALYST = "analyst", _("Analyste / évaluateur·rice")
    ADMINISTRATOR = "administrator", _("Administrateur·rice")


# Roles that work on case files: they see people through their organisation's active episodes.
CASE_ROLES = frozenset({Role.COUNSELOR, Role.MANAGER})


class User(AbstractUser):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("utilisateur·rice")
        verbose_name_plural = _("utilisateur·rices")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def active_memberships(self) -> list[tuple[int, str]]:
        """(organisation id, role) of the user's active memberships: one query, cached on the
        instance, since rights are read many times per request (navigation, access rules, MFA)."""
        cached = self.__dict__.get("_active_memberships")
        if cached is None:
            cached = list(
                Membership.objects.filter(user=self, is_active=True).values_list("organisation_id", "role")
            )
            self.__dict__["_active_memberships"] = cached
        return cached

    def organisation_ids(self, roles: frozenset[str] | set[str] | None = None) -> list[int]:
        """Ids of the organisations where the user has an active membership (with one of `roles`)."""
        return sorted({org for org, role in self.active_memberships() if not roles or role in roles})

    def case_organisation_ids(self) -> list[int]:
        return self.organisation_ids(CASE_ROLES)

    def has_role(self, *roles: str) -> bool:
        return bool(self.organisation_ids(frozenset(roles)))


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices)
    site = models.ForeignKey(
        "organisations.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role")
        ]
        indexes = [models.Index(fields=["organisation", "role", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for integrations. Only a SHA-256 hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def generate(cls, user: User, name: str) -> tuple["ApiToken", str]:
        """Create a token and return it with its clear secret, shown once."""
        key = "prc_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash_key(key), prefix=key[4:12])
        return token, key

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class Passkey(TimestampMixin, Device):
    """A WebAuthn credential (passkey or security key) of a staff user, used as a second factor.

    A django-otp device, so that a session verified with it counts as verified (django_otp.login)
    like one verified with the application's code. The token methods of Device are not used: the
    signature is checked by parcours.accounts.passkeys."""

    credential_id = models.CharField(max_length=1400, unique=True, editable=False)  # base64url
    public_key = models.BinaryField(editable=False)  # COSE key, as registered
    sign_count = models.PositiveBigIntegerField(default=0, editable=False)
    transports = models.JSONField(default=list, blank=True, editable=False)
    aaguid = models.CharField(max_length=36, blank=True, editable=False)

    class Meta:
        verbose_name = _("clé d'accès")
        verbose_name_plural = _("clés d'accès")

    def verify_token(self, token):
        return False  # a passkey answers a challenge with a signature, never a typed code
