"""Readable titles of the case events that other apps record with kind OTHER.

The diagnosis, catalogue, career project, profiling and experiment apps record each of their
changes as ``CaseEvent(kind=OTHER, data={"what": ...})``: cases does not know their vocabulary.
Each app registers the title of each ``what`` in its ``AppConfig.ready()`` with
:func:`register_event_titles`; the timeline shows :func:`event_title` instead of "Autre".
"""

from __future__ import annotations

from collections.abc import Mapping

_TITLES: dict[str, object] = {}


def register_event_titles(titles: Mapping[str, object]) -> None:
    """Register ``what`` -> title (lazy translations welcome)."""
    _TITLES.update(titles)


def registered_whats() -> set[str]:
    return set(_TITLES)


def event_title(event) -> str:
    """The event's title: its kind, or for kind OTHER the title registered for ``data["what"]``."""
    from parcours.cases.models import CaseEvent

    if event.kind == CaseEvent.Kind.OTHER:
        title = _TITLES.get((event.data or {}).get("what"))
        if title is not None:
            return str(title)
    return str(event.get_kind_display())
