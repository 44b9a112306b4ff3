"""Admin for case data. Querysets are scoped by parcours.cases.access: the admin grants no right to
read files that the workspace would not show (a superuser included), and it is read-only and
without deletion (writes go through actions). `CaseDataAdmin` is the base every app's admin uses for
rows that belong to a case file (docs/security.md, "Administration")."""

from django.contrib import admin

from parcours.cases import access
from parcours.cases.models import AccessLog, CaseEvent, SupportEpisode
from parcours.people.models import Person


class ScopedReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseDataAdmin(ScopedReadOnlyAdmin):
    """Rows of a case file: read-only, never deleted, scoped to the episodes the user may see in the
    workspace (`episode_path` leads from the row to its episode), superusers included. Subclasses
    list only person-free fields (no name, no free text, no sensitive codes): `fields` is required."""

    episode_path = "episode"
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(**{f"{self.episode_path}__in": access.episodes(request.user).values("pk")})
        )

    def get_readonly_fields(self, request, obj=None):
        return self.fields


@admin.register(Person)
class PersonAdmin(ScopedReadOnlyAdmin):
    """Identity edits go through the workspace (versioned, audited)."""

    list_display = ["last_name", "first_name", "birth_date", "status"]
    search_fields = ["last_name"]
    show_full_result_count = False
    exclude = ["disability_recognition"]

    def get_queryset(self, request):
        return access.people(request.user, super().get_queryset(request))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        person = self.get_queryset(request).filter(pk=object_id).first()
        if person is not None:
            access.log_read(person, user=request.user, route="admin:people_person_change")
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(SupportEpisode)
class SupportEpisodeAdmin(ScopedReadOnlyAdmin):
    list_display = ["public_id", "organisation", "referent", "stage", "intensity", "started_on", "ended_on"]
    list_filter = ["stage", "intensity", "approach"]
    list_select_related = ["organisation", "referent"]
    show_full_result_count = False

    def get_queryset(self, request):
        return access.episodes(request.user, super().get_queryset(request))


@admin.register(CaseEvent)
class CaseEventAdmin(ScopedReadOnlyAdmin):
    list_display = ["at", "kind", "actor", "episode"]
    list_filter = ["kind"]
    list_select_related = ["actor", "episode"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=access.events(request.user).values("pk"))


@admin.register(AccessLog)
class AccessLogAdmin(ScopedReadOnlyAdmin):
    """Audit of reads: visible to superusers (data-protection officer) only."""

    list_display = fields = ["at", "user", "person_id", "route"]
    list_select_related = ["user"]
    show_full_result_count = False
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
