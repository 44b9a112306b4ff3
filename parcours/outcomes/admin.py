from django.contrib import admin

from parcours.cases.admin import CaseDataAdmin
from parcours.outcomes.models import CheckIn, CheckInPolicy, EmploymentOutcome


@admin.register(CheckInPolicy)
class CheckInPolicyAdmin(admin.ModelAdmin):
    list_display = ["organisation", "horizons"]
    autocomplete_fields = ["organisation"]


# Outcomes and check-ins change through the page, the API or the command (actions.py): here they
# are read-only, never deleted, scoped to the episodes the user may see (superusers included) and
# person-free (the episode's label names the person; employer and job title are left out).
@admin.register(EmploymentOutcome)
class EmploymentOutcomeAdmin(CaseDataAdmin):
    list_display = ["pk", "episode_id", "kind", "contract_type", "start_on", "source"]
    fields = ["kind", "contract_type", "start_on", "source"]
    list_filter = ["kind", "contract_type", "source"]


@admin.register(CheckIn)
class CheckInAdmin(CaseDataAdmin):
    episode_path = "outcome__episode"
    list_display = ["pk", "outcome_id", "horizon_months", "due_on", "status"]
    fields = ["horizon_months", "due_on", "status"]
    list_filter = ["status", "horizon_months"]
