from django.contrib import admin

from parcours.obligations.models import SanctionLadder


@admin.register(SanctionLadder)
class SanctionLadderAdmin(admin.ModelAdmin):
    """An organisation's ladder and time limits; procedures change only through actions.py."""

    list_display = ["organisation", "__str__", "observation_days", "appeal_days"]
    autocomplete_fields = ["organisation"]
