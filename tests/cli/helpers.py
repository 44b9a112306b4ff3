from unittest import mock

from django.core.management import ManagementUtility
from django.db import connections


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run ``parcours ARGV`` in-process as from the command line: (exit code, stdout, stderr).

    ``run_from_argv`` closes every database connection when the command ends, as a process
    would; here the test's connection (and its transaction) must survive, so that is skipped."""
    code = 0
    with mock.patch.object(connections, "close_all"):
        try:
            ManagementUtility(["parcours", *argv]).execute()
        except SystemExit as exc:
            code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
