from django.contrib import admin, messages

from parcours.cases.admin import CaseDataAdmin
from parcours.profiling import actions
from parcours.profiling.models import ModelActivation, ProfilingModel, ProfilingScore


@admin.register(ProfilingModel)
class ProfilingModelAdmin(admin.ModelAdmin):
    list_display = ["version", "created_at", "algorithm", "n_rows", "is_active"]
    readonly_fields = [f.name for f in ProfilingModel._meta.fields if f.name != "artefact"]
    exclude = ["artefact"]
    actions = ["activate"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Activer le modèle sélectionné")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Sélectionnez un seul modèle.", messages.ERROR)
            return
        actions.activate_model(queryset.get(), by=request.user)


@admin.register(ProfilingScore)
class ProfilingScoreAdmin(CaseDataAdmin):
    """Scoped, read-only, never deleted; no factors nor the override's reason (written about the
    person)."""

    # No "model" column: it would load every row's artefact (BinaryField) into the list.
    list_display = ["pk", "episode_id", "model_id", "band", "override_band", "computed_at"]
    fields = ["band", "override_band", "computed_at"]


@admin.register(ModelActivation)
class ModelActivationAdmin(admin.ModelAdmin):
    list_display = ["model", "previous", "by", "at"]
    readonly_fields = ["model", "previous", "by", "at"]
