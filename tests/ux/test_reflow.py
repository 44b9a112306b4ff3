"""Phone layout (issue 11, problem 7): every wide data table (five columns or more) sits in a
focusable, labelled scroll region, so that at 320 px the table scrolls and the page does not
(the browser suite measures the pages: tests/browser, test_every_menu_page_of_each_role_fits_320_px).
No template carries an inline style attribute or script (a strict Content-Security-Policy)."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
REGION = re.compile(r'<div class="table-scroll"[^>]*>\s*$')


def _is_region(opening: str) -> bool:
    found = REGION.search(opening)
    tag = found.group(0) if found else ""
    return all(a in tag for a in ('tabindex="0"', 'role="region"')) and ("aria-label" in tag)


def _wide_tables():
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<table[^>]*>(.*?)</table>", text, re.S):
            head = re.search(r"<thead>(.*?)</thead>", match.group(1), re.S)
            if head and len(re.findall(r"<th\b", head.group(1))) >= 5:
                opening = text[: match.start()].rstrip(" ").splitlines()[-1]
                yield path.relative_to(TEMPLATES), opening


def test_every_wide_table_scrolls_inside_a_focusable_labelled_region():
    tables = list(_wide_tables())
    assert len(tables) >= 25
    unwrapped = [str(path) for path, opening in tables if not _is_region(opening)]
    assert unwrapped == []


def test_no_template_has_inline_style_or_script():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\sstyle=\"", text) or re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
