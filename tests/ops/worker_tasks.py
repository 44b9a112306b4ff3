"""A task for tests/ops/test_workers.py, importable by the worker processes it starts."""

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def record_run(number: int) -> int:
    """Append "number worker" to the file PARCOURS_TASK_LOG, then wait (60 s at most) until both
    workers have written a line, so that the two really work at the same time."""
    log = Path(os.environ["PARCOURS_TASK_LOG"])
    with log.open("a") as f:
        f.write(f"{number} {os.environ['PARCOURS_WORKER_NAME']}\n")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len({line.split()[1] for line in log.read_text().splitlines()}) >= 2:
            break
        time.sleep(0.05)
    return number
