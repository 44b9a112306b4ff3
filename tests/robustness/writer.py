"""The writer of the concurrency and crash tests, run as a separate process against DATABASE_URL.

    python -m tests.robustness.writer contend EPISODE USER THREADS WRITES ACK_LOG
    python -m tests.robustness.writer check EPISODE

`contend`: THREADS threads, each with its own database connection, make WRITES writes on the same
episode through the action functions: even writes record a contact (always accepted), odd writes
change the intensity under the optimistic lock (read the version, then write with it: a colleague's
write in between is a conflict, reported, never overwritten). Every acknowledged write (the action
returned, so its transaction committed) is appended to ACK_LOG *after* the commit, one line each.
`check` prints, as one JSON document, what the database holds for the episode and its consistency.
"""

import json
import os
import sys
import threading

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, connections  # noqa: E402

from parcours.accounts.models import User  # noqa: E402
from parcours.cases import actions  # noqa: E402
from parcours.cases.locking import ConcurrentEditError  # noqa: E402
from parcours.cases.models import CaseEvent, Contact, Intensity, SupportEpisode  # noqa: E402

INTENSITIES = [Intensity.FOLLOW, Intensity.GUIDED, Intensity.INTENSIVE, Intensity.GLOBAL]


def contend(episode_id: int, user_id: int, threads: int, writes: int, ack_path: str) -> dict:
    lock = threading.Lock()
    totals = {"contacts": 0, "changes": 0, "conflicts": 0, "errors": []}
    ack = open(ack_path, "a", buffering=1)  # noqa: SIM115 (closed below; line-buffered: each ack reaches the OS at once)

    def work(number: int) -> None:
        user = User.objects.get(pk=user_id)
        try:
            for n in range(writes):
                tag = f"{number}:{n}"
                if n % 2 == 0:
                    episode = SupportEpisode.objects.get(pk=episode_id)
                    actions.record_contact(episode, by=user, channel="phone", summary=tag)
                    line, key = f"contact {tag}\n", "contacts"
                else:
                    episode = SupportEpisode.objects.get(pk=episode_id)
                    try:
                        actions.change_intensity(
                            episode,
                            by=user,
                            intensity=INTENSITIES[(number + n) % 4],
                            reason=tag,
                            expected_version=episode.version,
                        )
                    except ConcurrentEditError:
                        line, key = f"conflict {tag}\n", "conflicts"
                    else:
                        line, key = f"change {tag}\n", "changes"
                with lock:
                    ack.write(line)
                    totals[key] += 1
        except Exception as exc:
            with lock:
                totals["errors"].append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    ack.close()
    return totals


def check(episode_id: int) -> dict:
    episode = SupportEpisode.objects.get(pk=episode_id)
    contacts = list(Contact.objects.filter(episode=episode).values_list("pk", "summary"))
    events = CaseEvent.objects.filter(episode=episode)
    contact_events = sorted(
        e["contact"]
        for e in events.filter(kind=CaseEvent.Kind.CONTACT_RECORDED).values_list("data", flat=True)
    )
    changes = list(events.filter(kind=CaseEvent.Kind.INTENSITY_CHANGED).values_list("data", flat=True))
    last = events.filter(kind=CaseEvent.Kind.INTENSITY_CHANGED).order_by("-pk").values_list("data", flat=True)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            integrity = [row[0] for row in cursor.fetchall()]
            cursor.execute("PRAGMA foreign_key_check")
            foreign_keys = [list(row) for row in cursor.fetchall()]
        else:
            cursor.execute(
                "SELECT count(*) FROM cases_contact c LEFT JOIN cases_supportepisode e ON e.id = c.episode_id WHERE e.id IS NULL"
            )
            integrity = ["ok"] if cursor.fetchone()[0] == 0 else ["orphan contacts"]
            foreign_keys = []
    return {
        "contact_summaries": sorted(summary for _pk, summary in contacts),
        "contact_ids": sorted(pk for pk, _summary in contacts),
        "contact_event_ids": contact_events,
        "change_reasons": sorted(d["reason"] for d in changes),
        "version": episode.version,
        "intensity": episode.intensity,
        "last_change_to": (last.first() or {}).get("to", {}).get("intensity"),
        "integrity": integrity,
        "foreign_key_violations": foreign_keys,
    }


if __name__ == "__main__":
    verb, *args = sys.argv[1:]
    if verb == "contend":
        episode_id, user_id, threads, writes = (int(a) for a in args[:4])
        result = contend(episode_id, user_id, threads, writes, args[4])
    else:
        result = check(int(args[0]))
    print(json.dumps(result))
