from django.contrib import admin

from parcours.cases.admin import CaseDataAdmin
from parcours.evaluation import models


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit rows: visible, never editable nor deletable from the admin."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(models.SatisfactionSurvey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "moment", "is_active"]


@admin.register(models.SurveyVersion)
class SurveyVersionAdmin(admin.ModelAdmin):
    list_display = ["survey", "number", "created_at"]


@admin.register(models.Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "unit", "is_public"]


@admin.register(models.IndicatorVersion)
class IndicatorVersionAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "number", "formula_key", "valid_from"]


@admin.register(models.Experiment)
class ExperimentAdmin(ReadOnlyAdmin):
    list_display = ["title", "organisation", "design", "status"]
    list_select_related = ["organisation"]


@admin.register(models.Assignment)
class AssignmentAdmin(CaseDataAdmin):
    """Scoped to the episodes the user may see; no person on the page."""

    list_display = ["experiment", "arm", "assigned_on", "stratum"]
    fields = ["experiment", "arm", "assigned_on", "stratum"]
    list_select_related = ["experiment", "arm"]


@admin.register(models.ImpactReport)
class ImpactReportAdmin(ReadOnlyAdmin):
    list_display = ["experiment", "number", "as_of", "n"]


@admin.register(models.Outbox)
class OutboxAdmin(ReadOnlyAdmin):
    """Delivery status only: the recipient's address and the body are the person's."""

    list_display = fields = ["channel", "status", "error", "created_at"]
