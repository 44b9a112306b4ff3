"""HTML views of the counselor workspace, one module per page: portfolio and alerts, changes to
an episode (posted from the person page), opening an episode."""
