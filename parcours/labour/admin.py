"""Referentials are read-only here (they come from the import commands); career projects are
shown read-only too: changes go through parcours/labour/actions.py (pages and API)."""

from django.contrib import admin

from parcours.cases.admin import CaseDataAdmin
from parcours.labour.models import (
    CareerProject,
    EscoOccupation,
    EscoSkill,
    IscoGroup,
    JobTitle,
    NormaliserArtefact,
    Occupation,
    ReferentialVersion,
    RomeEscoMatch,
    RomeItem,
    TargetOccupation,
    WorkPlacement,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReferentialVersion)
class ReferentialVersionAdmin(ReadOnlyAdmin):
    list_display = ["taxonomy", "version", "language", "imported_at", "skipped_rows", "duration_seconds"]
    list_filter = ["taxonomy"]


@admin.register(Occupation)
class OccupationAdmin(ReadOnlyAdmin):
    list_display = ["rome_code", "label", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["rome_code", "label"]
    list_select_related = ["referential"]


@admin.register(JobTitle)
class JobTitleAdmin(ReadOnlyAdmin):
    list_display = ["code_ogr", "label", "occupation", "is_active"]
    search_fields = ["label", "code_ogr"]
    list_select_related = ["occupation"]


@admin.register(RomeItem)
class RomeItemAdmin(ReadOnlyAdmin):
    list_display = ["code_ogr", "label", "kind", "category", "is_active"]
    list_filter = ["kind"]
    search_fields = ["label", "code_ogr"]


@admin.register(EscoOccupation)
class EscoOccupationAdmin(ReadOnlyAdmin):
    list_display = ["uri", "isco_group", "is_active"]
    search_fields = ["uri", "code"]


@admin.register(RomeEscoMatch)
class RomeEscoMatchAdmin(ReadOnlyAdmin):
    list_display = ["occupation", "job_title", "esco_occupation", "relation"]
    list_filter = ["relation"]
    search_fields = ["occupation__rome_code", "job_title__code_ogr", "=esco_occupation__uri"]
    list_select_related = ["occupation", "job_title", "esco_occupation"]


@admin.register(NormaliserArtefact)
class NormaliserArtefactAdmin(ReadOnlyAdmin):
    list_display = ["taxonomy", "kind", "language", "referential", "created_at", "n_labels", "fit_seconds"]
    list_select_related = ["referential"]


# Career projects: scoped to the episodes the user may see (superusers included), person-free
# (no episode label, which names the person; no host, evidence or notes written about them).
@admin.register(CareerProject)
class CareerProjectAdmin(CaseDataAdmin):
    list_display = ["pk", "created_at"]
    fields = ["created_at"]


@admin.register(TargetOccupation)
class TargetOccupationAdmin(CaseDataAdmin):
    episode_path = "project__episode"
    list_display = ["pk", "project_id", "occupation", "status", "decided_at"]
    fields = ["occupation", "status", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["occupation"]


@admin.register(WorkPlacement)
class WorkPlacementAdmin(CaseDataAdmin):
    episode_path = "project__episode"
    list_display = ["pk", "project_id", "occupation", "objective", "starts_on", "ends_on", "assessed_at"]
    fields = ["occupation", "objective", "starts_on", "ends_on", "assessed_at"]
    list_select_related = ["occupation"]


@admin.register(EscoSkill)
class EscoSkillAdmin(ReadOnlyAdmin):
    list_display = ["uri", "concept_type", "skill_type", "reuse_level", "is_active"]
    list_filter = ["concept_type", "skill_type", "reuse_level"]
    search_fields = ["=uri"]
    show_full_result_count = False


@admin.register(IscoGroup)
class IscoGroupAdmin(ReadOnlyAdmin):
    list_display = ["code", "uri", "is_active"]
    search_fields = ["=code", "=uri"]
