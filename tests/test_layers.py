"""The import graph of parcours/ follows the layers drawn in docs/architecture.md.

Every .py file under parcours/ is parsed (nothing is imported) and every reference from one app to
another is collected: module-level and function-level imports alike, dotted module paths written as
strings ("parcours.profiling.scores" handed to importlib, `apps.is_installed("parcours.market")`)
and model labels (`apps.get_model("labour", "TargetOccupation")`, `ForeignKey("people.Person")`).
An app may only refer to the apps listed for it in ALLOWED, which are all below it: the graph has
no cycle, and a lazy import cannot hide one.
"""

import ast
import re
from pathlib import Path

import pytest

PARCOURS = Path(__file__).resolve().parent.parent / "parcours"

# app -> the apps it may refer to. Lowest layer first; each app may use the ones above it in this
# list that are named, never one below it.
BASE = {"stats", "ops", "organisations", "accounts", "people"}  # any app may use the science core
ALLOWED: dict[str, set[str]] = {
    "stats": set(),  # pure numpy/pandas/scikit-learn/statsmodels: no Django, no other app
    "ops": set(),  # serving, health checks, logs, the database router: no other app
    "organisations": {"stats"},  # the shared CSV reader, for the communes import
    "accounts": {"organisations"},
    "people": {"organisations", "accounts"},
    "messaging": BASE,
    "cases": BASE,
    "agenda": BASE | {"messaging", "cases"},
    "conversations": BASE | {"messaging", "cases", "agenda"},
    "diagnosis": BASE | {"cases"},
    "catalogue": BASE | {"cases", "diagnosis"},
    "labour": BASE | {"cases", "diagnosis", "stats"},
    "market": BASE | {"cases", "diagnosis", "labour", "stats"},
    "outcomes": BASE | {"messaging", "cases", "diagnosis", "labour", "catalogue"},
    "profiling": BASE | {"cases", "diagnosis", "stats"},
    "evaluation": BASE | {"cases", "catalogue", "outcomes", "profiling", "stats"},
    "obligations": BASE | {"messaging", "cases", "diagnosis", "catalogue", "evaluation", "outcomes"},
    "intake": BASE | {"cases", "profiling", "evaluation", "outcomes"},
    "portal": BASE
    | {"messaging", "agenda", "conversations", "cases", "diagnosis", "catalogue", "labour", "market"}
    | {"obligations", "outcomes", "intake"},
    # retention, anonymisation, the person's rights, encryption keys, backups: reaches every case app
    "privacy": BASE
    | {"messaging", "conversations", "cases", "diagnosis", "catalogue", "labour", "market", "outcomes"}
    | {"profiling", "evaluation", "obligations", "intake", "portal"},
    # the staff home pages gather what every app below has to say
    "home": BASE
    | {
        "messaging",
        "conversations",
        "cases",
        "diagnosis",
        "catalogue",
        "labour",
        "market",
        "outcomes",
        "profiling",
        "evaluation",
    }
    | {"obligations", "intake"},
}
# The demo builds data for every app: it sits on top and may use any of them.
TOP = {"demo"}

DJANGO_ROOTS = ("django", "ninja")
MODEL_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}
DOTTED_APP = re.compile(r"^parcours\.([a-z_]+)(\.[A-Za-z_][\w.]*)?$")
MODEL_LABEL = re.compile(r"^([a-z_]+)\.[A-Z]\w*$")


def apps() -> set[str]:
    return {p.name for p in PARCOURS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def app_of(path: Path) -> str | None:
    parts = path.relative_to(PARCOURS).parts
    return parts[0] if len(parts) > 1 else None


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def references(tree: ast.AST) -> list[tuple[str, int]]:
    """(referenced module or app label, line) for every way a file can reach another module."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
            if node.module == "parcours":
                found += [(f"parcours.{alias.name}", node.lineno) for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED_APP.match(node.value):
            found.append((node.value, node.lineno))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            first = node.args[0].value
            if not isinstance(first, str):
                continue
            if _name(node.func) == "get_model" and re.fullmatch(r"[a-z_]+", first):
                found.append((f"parcours.{first}", node.lineno))
            elif _name(node.func) in MODEL_FIELDS | {"get_model"} and MODEL_LABEL.match(first):
                found.append((f"parcours.{first.split('.')[0]}", node.lineno))
    return found


def cross_app_edges() -> dict[tuple[str, str], list[str]]:
    """{(from app, to app): ["path:line", ...]} for every reference between two parcours apps."""
    known = apps()
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PARCOURS.rglob("*.py")):
        source = app_of(path)
        if source is None:
            continue
        for module, line in references(ast.parse(path.read_text(), filename=str(path))):
            match = DOTTED_APP.match(module)
            if not match or match.group(1) not in known or match.group(1) == source:
                continue
            edges.setdefault((source, match.group(1)), []).append(f"{path.relative_to(PARCOURS)}:{line}")
    return edges


def test_every_app_has_a_place_in_the_table():
    assert apps() - TOP == set(ALLOWED)


def test_the_table_has_no_cycle():
    """Each app may only use apps that come before it in ALLOWED."""
    seen: set[str] = set()
    for app, below in ALLOWED.items():
        assert below <= seen, f"{app} may use {sorted(below - seen)}, which are not below it"
        seen.add(app)


def test_stats_imports_neither_django_nor_another_app():
    offending = []
    for path in sorted((PARCOURS / "stats").rglob("*.py")):
        for module, line in references(ast.parse(path.read_text())):
            root = module.split(".")[0]
            other_app = module.startswith("parcours.") and not module.startswith("parcours.stats")
            if root.startswith(DJANGO_ROOTS) or other_app:
                offending.append(f"{path.relative_to(PARCOURS)}:{line} {module}")
    assert offending == []


def test_apps_refer_only_to_the_apps_below_them():
    edges = cross_app_edges()
    violations = {
        edge: places
        for edge, places in edges.items()
        if edge[0] not in TOP and edge[1] not in ALLOWED[edge[0]]
    }
    assert violations == {}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("from parcours.cases.models import SupportEpisode", {"parcours.cases.models"}),
        ("def f():\n    from parcours.profiling.tasks import request_score", {"parcours.profiling.tasks"}),
        (
            "import importlib\nimportlib.import_module('parcours.profiling.scores')",
            {"parcours.profiling.scores"},
        ),
        ("apps.get_model('labour', 'TargetOccupation')", {"parcours.labour"}),
        ("apps.get_model('catalogue.Referral')", {"parcours.catalogue"}),
        ("apps.is_installed('parcours.market')", {"parcours.market"}),
        ("person = models.ForeignKey('people.Person', on_delete=models.CASCADE)", {"parcours.people"}),
        ("from parcours import cases", {"parcours", "parcours.cases"}),
    ],
)
def test_references_see_every_kind_of_dependency(code, expected):
    found = {module for module, _line in references(ast.parse(code))}
    assert found - {"importlib"} == expected
