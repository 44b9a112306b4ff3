"""Admin for case data. Querysets are scoped with visible_to(): the admin grants no right to read
files that the workspace would not show, and it is read-only (writes go through actions)."""

from django.contrib import admin

from parcours.cases.models import AccessLog, CaseEvent, SupportEpisode


class ScopedReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupportEpisode)
class SupportEpisodeAdmin(ScopedReadOnlyAdmin):
    list_display = ["public_id", "organisation", "referent", "stage", "intensity", "started_on", "ended_on"]
    list_filter = ["stage", "intensity", "approach"]
    list_select_related = ["organisation", "referent"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(CaseEvent)
class CaseEventAdmin(ScopedReadOnlyAdmin):
    list_display = ["at", "kind", "actor", "episode"]
    list_filter = ["kind"]
    list_select_related = ["actor", "episode"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(AccessLog)
class AccessLogAdmin(ScopedReadOnlyAdmin):
    """Audit of reads: visible to superusers (data-protection officer) only."""

    list_display = ["at", "user", "person_id", "route"]
    list_select_related = ["user"]
    show_full_result_count = False
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
