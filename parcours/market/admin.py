from django.contrib import admin

from parcours.market.models import (
    Establishment,
    Hire,
    HiringModelRun,
    HiringPrediction,
    JobOffer,
    TensionValue,
)


@admin.register(JobOffer)
class JobOfferAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "rome_code",
        "rome_score",
        "employer_name",
        "commune_insee",
        "contract_type",
        "posted_at",
        "is_active",
    ]
    list_filter = ["source", "contract_type", "is_active"]
    search_fields = ["=external_id", "=rome_code", "=employer_siret"]
    raw_id_fields = ["duplicate_of"]
    show_full_result_count = False


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ["siret", "name", "naf_code", "commune_insee"]
    search_fields = ["=siret", "name"]
    show_full_result_count = False


@admin.register(Hire)
class HireAdmin(admin.ModelAdmin):
    list_display = ["establishment", "hired_on", "rome_code", "contract_type"]
    raw_id_fields = ["establishment"]
    show_full_result_count = False


@admin.register(HiringModelRun)
class HiringModelRunAdmin(admin.ModelAdmin):
    list_display = ["version", "kind", "trained_until", "created_at"]
    readonly_fields = ["version", "kind", "trained_until", "params", "metrics", "created_at"]


@admin.register(HiringPrediction)
class HiringPredictionAdmin(admin.ModelAdmin):
    list_display = ["establishment", "rome_code", "expected_hires", "reason", "run"]
    raw_id_fields = ["establishment", "run"]
    show_full_result_count = False


@admin.register(TensionValue)
class TensionValueAdmin(admin.ModelAdmin):
    list_display = [
        "rome_code",
        "territory",
        "period_start",
        "period_end",
        "offers",
        "seekers",
        "hires",
        "level",
    ]
    list_filter = ["definition_version", "level"]
    raw_id_fields = ["territory"]
