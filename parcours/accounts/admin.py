from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from parcours.accounts.models import ApiToken, Membership, Passkey, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["organisation", "site"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]
    raw_id_fields = ["user", "organisation", "site"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # Tokens are created by their owner in the workspace so the secret is shown once to them.
        return False

    @admin.action(description="Révoquer les jetons sélectionnés")
    def revoke(self, request, queryset):
        for token in queryset.active():
            token.revoke()


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin):
    """To remove the passkey of a user who lost it (like django-otp's own device admins). Keys are
    added by their owner only (the browser's answer is needed)."""

    list_display = ["name", "user", "created_at", "last_used_at"]
    search_fields = ["user__username", "name"]
    fields = ["user", "name", "created_at", "last_used_at", "sign_count"]
    readonly_fields = ["user", "created_at", "last_used_at", "sign_count"]

    def has_add_permission(self, request):
        return False
