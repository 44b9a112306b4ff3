"""Admin: administrators edit the orientation rules table; questionnaire versions are read-only
(they are loaded from the JSON files by `parcours diagnosis load-questionnaires`). Case data
(diagnoses, barriers, plans) are not in the admin: they go through the scoped pages and API."""

from django.contrib import admin

from parcours.diagnosis.models import OrientationRule, QuestionnaireVersion


@admin.register(OrientationRule)
class OrientationRuleAdmin(admin.ModelAdmin):
    list_display = [
        "priority",
        "name",
        "is_active",
        "min_barriers",
        "barrier_kinds",
        "digital_autonomy",
        "score_band",
        "suggested_intensity",
        "suggested_approach",
    ]
    list_display_links = ["name"]
    list_editable = ["priority", "is_active"]
    list_filter = ["is_active", "suggested_intensity", "suggested_approach"]
    ordering = ["priority", "pk"]


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(admin.ModelAdmin):
    list_display = ["questionnaire", "number", "loaded_at"]
    list_select_related = ["questionnaire"]
    readonly_fields = ["questionnaire", "number", "definition", "checksum", "loaded_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
