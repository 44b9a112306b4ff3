from django.contrib import admin

from parcours.conversations.models import OutreachSettings


@admin.register(OutreachSettings)
class OutreachSettingsAdmin(admin.ModelAdmin):
    list_display = ("organisation", "reminder_days", "escalate_after_days")
    autocomplete_fields = ("organisation",)
