"""Organisations that support people, their sites, and the territories they serve (INSEE codes)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
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
