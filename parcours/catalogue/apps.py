from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "parcours.catalogue"
    label = "catalogue"
    verbose_name = _("Catalogue de services et orientations")
