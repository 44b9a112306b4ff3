from django.contrib import admin

from parcours.organisations.models import Organisation, Postcode, Site, Territory


class PostcodeInline(admin.TabularInline):
    model = Postcode
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["insee_code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["insee_code", "name", "postcodes__code"]
    raw_id_fields = ["parent"]
    inlines = [PostcodeInline]


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    raw_id_fields = ["commune"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "territory", "mfa_required"]
    list_filter = ["kind", "mfa_required"]
    search_fields = ["name", "siret"]
    raw_id_fields = ["territory"]
    filter_horizontal = ["served_territories"]
    inlines = [SiteInline]
