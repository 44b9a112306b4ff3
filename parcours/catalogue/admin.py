from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from parcours.cases import access
from parcours.cases.admin import CaseDataAdmin
from parcours.catalogue import actions
from parcours.catalogue.models import (
    Notification,
    PartnershipConvention,
    ProviderStructure,
    Referral,
    ReferralTransition,
    Service,
    WorkshopRegistration,
    WorkshopSession,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "type", "updated_on", "review_due_on", "is_active"]
    list_filter = ["is_active", "type", "source"]
    search_fields = ["name", "external_id"]
    raw_id_fields = ["organisation", "site", "commune"]
    filter_horizontal = ["territories"]
    readonly_fields = ["review_due_on", "version"]
    actions = ["confirm_freshness"]

    @admin.action(description="Confirmer que les fiches sont à jour")
    def confirm_freshness(self, request, queryset):
        done = 0
        for service in queryset:
            try:
                actions.confirm_service_freshness(service, by=request.user)
                done += 1
            except PermissionDenied:
                continue
        self.message_user(request, f"{done} fiche(s) confirmée(s).", messages.SUCCESS)


class ReferralTransitionInline(admin.TabularInline):
    model = ReferralTransition
    extra = 0
    can_delete = False
    # No reason: free text written about the person.
    fields = readonly_fields = ["from_status", "to_status", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(CaseDataAdmin):
    """Read-only, scoped: referrals change through their actions (views, API, commands), never by
    hand. No person, message or barrier kinds (sensitive) on the page."""

    list_display = ["public_id", "service", "receiving_organisation", "status", "proposed_at", "expires_on"]
    list_filter = ["status"]
    list_select_related = ["service", "receiving_organisation"]
    fields = ["public_id", "service", "receiving_organisation", "status", "proposed_at", "expires_on"]
    inlines = [ReferralTransitionInline]


@admin.register(WorkshopSession)
class WorkshopSessionAdmin(admin.ModelAdmin):
    list_display = ["service", "starts_at", "capacity"]
    raw_id_fields = ["service", "site"]


@admin.register(WorkshopRegistration)
class WorkshopRegistrationAdmin(CaseDataAdmin):
    """Read-only, scoped through the referral's episode or the person's episodes; no person."""

    list_display = ["pk", "session", "status", "registered_at"]
    list_filter = ["status"]
    list_select_related = ["session__service"]
    fields = ["session", "status", "registered_at"]

    def get_queryset(self, request):
        # A registration belongs to a person (a referral is optional): scoped by the people the
        # user may see.
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return queryset.filter(person__in=access.people(request.user).values("pk"))


@admin.register(PartnershipConvention)
class PartnershipConventionAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "start_on", "end_on"]
    filter_horizontal = ["organisations", "territories", "services"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """A notification's message names the person: each user sees their own only, read-only."""

    list_display = ["recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recipient=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProviderStructure)
class ProviderStructureAdmin(admin.ModelAdmin):
    list_display = ["source", "external_id", "organisation"]
    search_fields = ["external_id"]
