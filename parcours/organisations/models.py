"""Organisations that support people, their sites, and the territories they serve (INSEE codes)."""

import re
import unicodedata
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


def fold_name(text: str) -> str:
    """A name as it is compared: case, accents, ligatures, hyphens and apostrophes ignored, so that
    "saint etienne" = "Saint-Étienne", "l'hay les roses" = "L'Haÿ-les-Roses", "baroeul" = "Barœul"."""
    text = unicodedata.normalize("NFKD", text.casefold()).replace("œ", "oe").replace("æ", "ae")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-'’]", " ", text).split())


class Territory(models.Model):
    """A French territory identified by its INSEE code (commune, département or région)."""

    class Level(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        DEPARTEMENT = "departement", _("Département")
        REGION = "region", _("Région")

    insee_code = models.CharField(_("code INSEE"), max_length=5)
    level = models.CharField(_("niveau"), max_length=12, choices=Level.choices)
    name = models.CharField(_("nom"), max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    # fold_name(name), kept by save() and the communes import: an indexed prefix for suggestions
    folded_name = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["level", "insee_code"]
        constraints = [models.UniqueConstraint(fields=["level", "insee_code"], name="territory_unique_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee_code})"

    def save(self, *args, **kwargs):
        self.folded_name = fold_name(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "folded_name"}
        super().save(*args, **kwargs)

    @property
    def postcode_codes(self) -> list[str]:
        """Every postcode of the commune, smallest first (a commune may have several: Marseille)."""
        if self.pk is None:
            return []
        return sorted({p.code for p in self.postcodes.all()})

    @property
    def postcodes_summary(self) -> str:
        """The postcodes as a suggestion shows them: "13001, 13002, 13003…" beyond three."""
        codes = self.postcode_codes
        return ", ".join(codes[:3]) + ("…" if len(codes) > 3 else "")

    @property
    def postcode(self) -> str:
        """The commune's smallest postcode, "" when none is known: what a one-line address shows."""
        codes = self.postcode_codes
        return codes[0] if codes else ""


class Postcode(models.Model):
    """A postcode of a commune (La Poste's "Base officielle des codes postaux"). A commune may have
    several postcodes and one postcode may serve several communes."""

    code = models.CharField(_("code postal"), max_length=5, db_index=True)
    commune = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="postcodes", verbose_name=_("commune")
    )

    class Meta:
        verbose_name = _("code postal")
        verbose_name_plural = _("codes postaux")
        ordering = ["code", "commune"]
        constraints = [
            models.UniqueConstraint(fields=["code", "commune"], name="postcode_unique_per_commune")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.commune.name}"


class Organisation(models.Model):
    class Kind(models.TextChoices):
        PES = "pes", _("Service public de l'emploi (France Travail)")
        YOUTH_MISSION = "youth_mission", _("Mission locale")
        DISABILITY_OPERATOR = "disability_operator", _("Cap emploi")
        ASSOCIATION = "association", _("Association")
        PRIVATE_PROVIDER = "private_provider", _("Prestataire privé")
        TRAINING_BODY = "training_body", _("Organisme de formation")
        EMPLOYER = "employer", _("Employeur")
        LOCAL_AUTHORITY = "local_authority", _("Collectivité territoriale")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=24, choices=Kind.choices)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    territory = models.ForeignKey(
        Territory,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("territoire principal"),
    )
    served_territories = models.ManyToManyField(
        Territory, blank=True, related_name="served_by", verbose_name=_("territoires desservis")
    )
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    # Administrators and managers always use a second factor; this asks it of every member.
    mfa_required = models.BooleanField(
        _("double authentification pour tous les membres"),
        default=False,
        help_text=_("Les administrateur·rices et responsables d'équipe l'utilisent toujours."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A physical place of an organisation (agency, antenna, permanence)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sites", verbose_name=_("organisation")
    )
    name = models.CharField(_("nom"), max_length=200)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    commune = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="sites", verbose_name=_("commune")
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["organisation", "name"]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.name}"
