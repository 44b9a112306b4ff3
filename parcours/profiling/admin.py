from django.contrib import admin, messages

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
class ProfilingScoreAdmin(admin.ModelAdmin):
    # No "model" column: it would load every row's artefact (BinaryField) into the list.
    list_display = ["pk", "episode_id", "model_id", "band", "override_band", "computed_at"]
    readonly_fields = [f.name for f in ProfilingScore._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ModelActivation)
class ModelActivationAdmin(admin.ModelAdmin):
    list_display = ["model", "previous", "by", "at"]
    readonly_fields = ["model", "previous", "by", "at"]
