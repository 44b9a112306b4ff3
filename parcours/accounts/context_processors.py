from parcours.accounts.models import Role


def memberships(request):
    """Which parts of the navigation the user may see (rights are checked again by each view)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_case_work": bool(user.case_organisation_ids()),
        "nav_is_manager": user.has_role(Role.MANAGER),
        "nav_is_coordinator": user.has_role(Role.COORDINATOR),
        "nav_is_admin": user.is_staff,
    }
