import os

# Settings read this before Django is configured: immediate tasks, test secret key.
os.environ["PARCOURS_TESTING"] = "1"
os.environ.setdefault("AXES_ENABLED", "false")
