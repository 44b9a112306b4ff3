"""``parcours profiling_platform``: deprecated name of ``parcours profiling train-platform|score-all|activate``.

Kept for one release so that schedulers keep working; prints a deprecation line on stderr.
"""

from parcours.profiling.management.commands import profiling


class Command(profiling.Command):
    help = "Deprecated: use `parcours profiling train-platform|score-all|activate`."

    def handle(self, *args, **options):
        self.warn_deprecated(
            f"`parcours profiling_platform {options['verb']}` is now `parcours profiling {options['verb']}`; "
            "the old name goes in the next release"
        )
        return super().handle(*args, **options)
