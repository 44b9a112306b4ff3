"""The interface is written in French and translated into English.

The English catalogue (locale/en/LC_MESSAGES/django.po) must be complete, and the compiled
django.mo committed next to it must say the same thing (the app never compiles at run time).
"""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|%%|<[^>]+>")


def _unquote(text):
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), body
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body[1:-1])


def parse_po(path):
    """Return the entries of a .po file as dicts: msgctxt, msgid, msgid_plural, msgstr
    (a list: one item, or one per plural form), flags and obsolete."""
    entries, current, field = [], None, None

    def flush():
        if current is not None and "msgid" in current:
            entries.append(current)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        elif line.startswith("#"):
            if current is None or "msgid" in current:
                flush()
                current = {"flags": set(), "obsolete": False, "msgstr": {}}
            if line.startswith("#,"):
                current["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = _unquote(line)
            if field[0] == "msgstr":
                current["msgstr"][field[1]] += value
            else:
                current[field[0]] += value
            continue
        if keyword in ("msgctxt", "msgid") and (
            current is None or ("msgid" in current and (keyword == "msgctxt" or current["msgstr"]))
        ):
            flush()
            current = {"flags": set(), "obsolete": False, "msgstr": {}}
        current["obsolete"] = current["obsolete"] or obsolete
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            field = ("msgstr", int(match.group(1)))
            current["msgstr"][field[1]] = _unquote(rest)
        elif keyword == "msgstr":
            field = ("msgstr", 0)
            current["msgstr"][0] = _unquote(rest)
        else:
            field = (keyword, None)
            current[keyword] = _unquote(rest)
    flush()
    for entry in entries:
        entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
        entry.setdefault("msgctxt", None)
        entry.setdefault("msgid_plural", None)
    return entries


@pytest.fixture(scope="module")
def po_entries():
    return [e for e in parse_po(PO_PATH) if not e["obsolete"] and e["msgid"]]


def test_the_parser_reads_plural_forms_context_flags_and_continuation_lines(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy, python-format\nmsgctxt "menu"\nmsgid "Bonjour %(n)s"\nmsgstr ""\n"Hel"\n"lo %(n)s"\n\n'
        'msgid "%(c)s personne"\nmsgid_plural "%(c)s personnes"\n'
        'msgstr[0] "%(c)s person"\nmsgstr[1] "%(c)s \\"people\\""\n\n'
        '#~ msgid "Ancien"\n#~ msgstr "Old"\n',
        encoding="utf-8",
    )
    header, greeting, plural, old = parse_po(po)
    assert header["msgstr"] == ["Language: en\n"]
    assert greeting["msgctxt"] == "menu" and greeting["msgstr"] == ["Hello %(n)s"]
    assert "fuzzy" in greeting["flags"]
    assert plural["msgid_plural"] == "%(c)s personnes"
    assert plural["msgstr"] == ["%(c)s person", '%(c)s "people"']
    assert old["obsolete"] and not plural["obsolete"]


def test_the_english_catalogue_has_no_untranslated_or_fuzzy_entry(po_entries):
    assert len(po_entries) > 100
    fuzzy = [e["msgid"] for e in po_entries if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in po_entries if not e["msgstr"] or not all(e["msgstr"])]
    plural_forms = [e["msgid"] for e in po_entries if e["msgid_plural"] and len(e["msgstr"]) != 2]
    assert fuzzy == [], f"fuzzy entries (ignored by Django): {fuzzy[:10]}"
    assert empty == [], f"untranslated entries: {empty[:10]} — see docs/i18n.md"
    assert plural_forms == [], plural_forms


def test_the_catalogue_header_is_not_fuzzy_and_declares_english():
    header = next(e for e in parse_po(PO_PATH) if e["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]


def test_translations_keep_every_placeholder_and_html_tag(po_entries):
    broken = []
    for entry in po_entries:
        sources = [entry["msgid"], entry["msgid_plural"]] if entry["msgid_plural"] else [entry["msgid"]]
        for source, translation in zip(sources, entry["msgstr"], strict=True):
            if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(translation)):
                broken.append((source, translation))
    assert broken == []


def test_the_committed_mo_matches_the_po(po_entries):
    """Every entry of the .po must come out of the committed .mo unchanged: a .po edited
    without running `compilemessages` fails here."""
    with MO_PATH.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    for entry in po_entries:
        msgid, plural, ctx = entry["msgid"], entry["msgid_plural"], entry["msgctxt"]
        if plural:
            got = [
                catalogue.npgettext(ctx, msgid, plural, 1) if ctx else catalogue.ngettext(msgid, plural, 1),
                catalogue.npgettext(ctx, msgid, plural, 2) if ctx else catalogue.ngettext(msgid, plural, 2),
            ]
        else:
            got = [catalogue.pgettext(ctx, msgid) if ctx else catalogue.gettext(msgid)]
        if got != entry["msgstr"]:
            stale.append(msgid)
    assert stale == [], f"django.mo is older than django.po, run compilemessages: {stale[:10]}"


def test_every_literal_translate_tag_of_the_templates_is_in_the_catalogue(po_entries):
    """A template string added without `make messages` would stay French in English pages."""
    known = {e["msgid"] for e in po_entries if not e["msgctxt"]}
    tag = re.compile(r"""{%\s*(?:translate|trans)\s+(?:"([^"]*)"|'([^']*)')""")
    missing = set()
    for template in TEMPLATES_DIR.rglob("*.html"):
        for match in tag.finditer(template.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            text = text.replace("%", "%%")
            if text and text not in known:
                missing.add((template.relative_to(TEMPLATES_DIR).as_posix(), text))
    assert sorted(missing) == [], "not in django.po: run `make messages`, translate (docs/i18n.md)"


@pytest.mark.django_db
def test_the_portfolio_is_in_french_by_default(client, counselor, episode):
    client.force_login(counselor)
    response = client.get(reverse("cases:portfolio"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr"' in html
    assert "Mes personnes" in html
    assert "My people" not in html


@pytest.mark.django_db
def test_the_portfolio_is_in_english_when_the_browser_asks_for_it(client, counselor, episode):
    client.force_login(counselor)
    response = client.get(reverse("cases:portfolio"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en"' in html
    assert "My people" in html
    assert "Contact alerts" in html
    assert "1 person" in html  # plural form of "%(counter)s personne"
    assert "Mes personnes" not in html


@pytest.mark.django_db
def test_choosing_english_in_the_language_menu_switches_the_next_pages(client, counselor, episode):
    client.force_login(counselor)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("cases:portfolio")})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("cases:portfolio")).content.decode()
    assert '<html lang="en"' in html
    assert "My people" in html
    assert "Log out" in html


@pytest.mark.django_db
def test_model_choice_labels_are_translated_lazily(counselor, episode):
    from django.utils import translation

    with translation.override("en"):
        assert episode.get_intensity_display() in {"Follow", "Guided", "Intensive", "Global"}
        assert str(episode._meta.verbose_name) == "support episode"
    with translation.override("fr"):
        assert str(episode._meta.verbose_name) == "accompagnement"
