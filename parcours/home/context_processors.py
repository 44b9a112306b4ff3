from parcours.home.navigation import navigation_for


def navigation(request):
    """The menu of the signed-in user (each view checks the rights again)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_groups": navigation_for(user)}
