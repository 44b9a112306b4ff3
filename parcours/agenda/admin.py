from django.contrib import admin

from parcours.agenda.models import BookingSettings


@admin.register(BookingSettings)
class BookingSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "organisation",
        "self_booking",
        "booking_notice_hours",
        "horizon_days",
        "cancel_notice_hours",
    )
    autocomplete_fields = ("organisation",)
