from django.contrib import admin

from parcours.privacy.models import RetentionPolicy


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    """An organisation's own retention delays (no personal data)."""

    list_display = ["organisation", "archive_after_days", "anonymise_after_days"]
    autocomplete_fields = ["organisation"]
