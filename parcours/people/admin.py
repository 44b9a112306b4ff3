from django.contrib import admin

from parcours.people.models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Read-only and scoped: identity edits go through the workspace (versioned, audited)."""

    list_display = ["last_name", "first_name", "birth_date", "status"]
    search_fields = ["last_name"]
    show_full_result_count = False
    exclude = ["disability_recognition"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from parcours.cases.actions import log_access

        person = self.get_queryset(request).filter(pk=object_id).first()
        if person is not None:
            log_access(person, user=request.user, route="admin:people_person_change")
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
