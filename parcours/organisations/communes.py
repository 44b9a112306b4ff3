"""The one way to find a commune from what a person or a client typed.

A commune may be typed as its name ("Lille", "saint etienne", "L'Hay les Roses": case, accents,
hyphens and apostrophes ignored), one of its postcodes (59000; "59 000"), its INSEE code (59350,
2A004), a suggestion of the datalist ("Lille (59350)") or a name and a code ("Saint-Denis 93200").

:func:`resolve` returns the commune, or raises :class:`UnknownCommune` or :class:`AmbiguousCommune`
with the candidates to choose from; :func:`suggest` lists the communes that start like the text
typed so far. The forms (people, catalogue, market) use :class:`parcours.organisations.forms.CommuneField`
and the API :func:`resolve`, so that every input accepts the same things.

A five-character code may be an INSEE code and another commune's postcode (59350 is Lille's INSEE
code and Saint-André-lez-Lille's postcode; 13001 is Aix-en-Provence's INSEE code and the postcode of
Marseille's 1st arrondissement). A person typing it is asked to choose; the API, whose clients send
INSEE codes, takes the INSEE code (``insee_first=True``).
"""

from __future__ import annotations

import re

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from parcours.organisations.models import Postcode, Territory, fold_name

SUGGESTED = 10  # communes offered by a suggestion list or an error
CODE = re.compile(r"\d[0-9AB]\d{3}")  # an INSEE code (2A004 in Corsica) or a postcode
IN_SUGGESTION = re.compile(r"\((\d[0-9AB]\d{3})\)\s*$")  # "Lille (59350)"
NAME_AND_CODE = re.compile(r"^(?P<name>.*?\D)[\s,]+(?P<code>\d[0-9AB]\s?\d{3})$")  # "Saint-Denis 93200"


class CommuneError(ValueError):
    """What was typed names no commune, or several: ``candidates`` are the communes to offer."""

    def __init__(self, typed: str, candidates: list[Territory]):
        self.typed = typed
        self.candidates = candidates
        super().__init__(self.message())

    def message(self) -> str:
        raise NotImplementedError

    def names(self) -> str:
        return ", ".join(label(c) for c in self.candidates)


class UnknownCommune(CommuneError):
    def __init__(self, typed: str, candidates: list[Territory], *, is_code: bool):
        self.is_code = is_code
        super().__init__(typed, candidates)

    def message(self) -> str:
        if self.is_code:
            return _("Aucune commune connue pour le code %(code)s.") % {"code": self.typed}
        return _("Aucune commune ne s'appelle %(typed)s : vérifiez le nom, ou saisissez le code postal.") % {
            "typed": self.typed
        }


class AmbiguousCommune(CommuneError):
    def __init__(self, typed: str, candidates: list[Territory], *, is_code: bool):
        self.is_code = is_code
        super().__init__(typed, candidates)

    def message(self) -> str:
        if self.is_code:
            return _("Plusieurs communes correspondent au code %(code)s : %(names)s. Choisissez-en une.") % {
                "code": self.typed,
                "names": self.names(),
            }
        return _("Plusieurs communes s'appellent %(typed)s : %(names)s. Choisissez-en une.") % {
            "typed": self.typed,
            "names": self.names(),
        }


def label(commune: Territory) -> str:
    """How a commune is written in a suggestion, and read back by :func:`resolve`: "Lille (59350)"."""
    return f"{commune.name} ({commune.insee_code})"


def communes() -> QuerySet[Territory]:
    return Territory.objects.filter(level=Territory.Level.COMMUNE)


def _by_size():
    return [F("population").desc(nulls_last=True), "folded_name", "insee_code"]


def _by_code(code: str) -> QuerySet[Territory]:
    """Communes whose INSEE code or one of whose postcodes is ``code`` (INSEE code first)."""
    with_postcode = Postcode.objects.filter(code=code).values("commune_id")
    return (
        communes()
        .filter(Q(insee_code=code) | Q(pk__in=with_postcode))
        .annotate(
            is_insee=Case(When(insee_code=code, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("is_insee", *_by_size())
    )


def resolve(text: str, *, insee_first: bool = False) -> Territory | None:
    """The commune typed as ``text`` (None when nothing was typed).

    Raises :class:`UnknownCommune` (with suggestions for a name) or :class:`AmbiguousCommune` (with
    the candidates). With ``insee_first``, a code that is an INSEE code is that commune even when it
    is also another commune's postcode."""
    text = " ".join((text or "").split())
    if not text:
        return None
    suggestion = IN_SUGGESTION.search(text)
    if suggestion:
        found = communes().filter(insee_code=suggestion.group(1)).first()
        if found is None:
            raise UnknownCommune(suggestion.group(1), [], is_code=True)
        return found
    code = text.upper().replace(" ", "")
    if CODE.fullmatch(code):
        matches = list(_by_code(code)[: SUGGESTED + 1])
        if matches and (len(matches) == 1 or (insee_first and matches[0].insee_code == code)):
            return matches[0]
        if matches:
            raise AmbiguousCommune(code, matches[:SUGGESTED], is_code=True)
        raise UnknownCommune(code, [], is_code=True)
    named = NAME_AND_CODE.match(text)
    if named:  # "Saint-Denis 93200": the name narrowed by an INSEE code or a postcode
        name, code = fold_name(named["name"]), named["code"].upper().replace(" ", "")
        matches = list(_by_code(code).filter(folded_name=name)[:2])
        if len(matches) == 1:
            return matches[0]
    folded = fold_name(text)
    matches = list(communes().filter(folded_name=folded).order_by(*_by_size())[: SUGGESTED + 1])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousCommune(text, matches[:SUGGESTED], is_code=False)
    raise UnknownCommune(text, suggest(text), is_code=False)


def suggest(text: str, *, limit: int = SUGGESTED) -> list[Territory]:
    """Communes that start like the text typed so far: by name (accents and case ignored; the exact
    name first, then the most populated), or by the first digits of a postcode or an INSEE code.
    An indexed prefix of the folded name: never the 35,000 communes at once."""
    text = " ".join((text or "").split())
    if len(text) < 2:
        return []
    found = communes().prefetch_related("postcodes")
    code = text.upper().replace(" ", "")
    if re.fullmatch(r"\d[0-9AB]\d{0,3}", code):
        with_postcode = Postcode.objects.filter(code__startswith=code).values("commune_id")
        found = found.filter(Q(insee_code__startswith=code) | Q(pk__in=with_postcode)).order_by(
            "folded_name", "insee_code"
        )
        return list(found[:limit])
    folded = fold_name(IN_SUGGESTION.sub("", text))
    if not folded:
        return []
    exact = Case(When(folded_name=folded, then=Value(0)), default=Value(1), output_field=IntegerField())
    found = found.filter(folded_name__startswith=folded).annotate(exact=exact)
    return list(found.order_by("exact", *_by_size())[:limit])
