"""The README works on a fresh clone: every command of its ``sh`` blocks exists (make targets,
``parcours`` commands and area verbs answer ``--help``), the cheap ones run as written, and it links
nothing outside the repository."""

import io
import json
import os
import re
import shlex
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from django.core.management import ManagementUtility

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PARCOURS = ROOT / ".venv" / "bin" / "parcours"
# Commands of the README run as written (with the README's exports and a fresh database).
RUN_AS_WRITTEN = {
    ("migrate",),
    ("labour", "import-rome"),
    ("organisations", "import-communes"),
    ("evaluation", "power"),
}


def readme_lines() -> list[str]:
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL):
        for raw in block.splitlines():
            line = re.sub(r"\s+#.*$", "", raw).strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def readme_exports() -> dict[str, str]:
    return dict(
        line.removeprefix("export ").split("=", 1) for line in readme_lines() if line.startswith("export ")
    )


def parcours_commands() -> list[list[str]]:
    """Every ``parcours`` command line, one per alternative (``a | b`` lists verbs of one area),
    optional ``[...]`` parts removed."""
    commands = []
    for line in readme_lines():
        words = line.split(maxsplit=1)
        if words[0] not in ("parcours", ".venv/bin/parcours"):
            continue
        first, *alternatives = re.sub(r"\s*\[[^\]]*\]", "", words[1]).split(" | ")
        argv = shlex.split(first)
        commands.append(argv)
        commands += [[argv[0], *shlex.split(alternative)] for alternative in alternatives]
    return commands


def is_area(name: str) -> bool:
    from django.core.management import get_commands, load_command_class

    from parcours.cli import AreaCommand

    app = get_commands().get(name)
    return app is not None and isinstance(load_command_class(app, name), AreaCommand)


def test_readme_links_nothing_outside_the_repository():
    assert "../" not in README
    for target in re.findall(r"\]\(([^)#]+)", README):
        if "://" in target:
            continue
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), target


def test_every_make_target_of_the_readme_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = [line.split()[1] for line in readme_lines() if line.startswith("make ")]
    assert {"run", "test"} <= set(targets)
    for target in targets:
        assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.MULTILINE), target


def test_every_parcours_command_of_the_readme_answers_help(capsys):
    commands = parcours_commands()
    assert len(commands) >= 20
    for argv in commands:
        words = argv[:2] if is_area(argv[0]) else argv[:1]
        out = io.StringIO()
        with redirect_stdout(out), pytest.raises(SystemExit) as exit_:
            ManagementUtility(["parcours", *words, "--help"]).execute()
        assert exit_.value.code in (0, None), argv
        assert "usage:" in out.getvalue(), argv


@pytest.fixture(scope="module")
def fresh_clone_env(tmp_path_factory):
    if not PARCOURS.exists():
        pytest.skip("no .venv/bin/parcours: run make install")
    database = tmp_path_factory.mktemp("readme") / "readme.sqlite3"
    keep = {"PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    return {**env, **readme_exports(), "DATABASE_URL": f"sqlite:///{database}"}


def run(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (the README's own commands, no shell)
        [str(PARCOURS), *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def test_the_cheap_commands_of_the_readme_run_as_written(fresh_clone_env):
    ran = []
    for argv in parcours_commands():
        key = tuple(argv[:2]) if is_area(argv[0]) else tuple(argv[:1])
        if key not in RUN_AS_WRITTEN:
            continue
        done = run(argv, fresh_clone_env)
        assert done.returncode == 0, (argv, done.stderr[-2000:])
        assert "Traceback" not in done.stderr, argv
        if "--json" in argv:
            json.loads(done.stdout)
        ran.append(key)
    assert sorted(ran) == sorted(RUN_AS_WRITTEN)  # in this order: migrate first


def test_without_debug_or_secret_key_a_command_says_so_in_one_line(fresh_clone_env):
    env = {k: v for k, v in fresh_clone_env.items() if k != "DEBUG"}
    done = run(["migrate"], env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "SECRET_KEY" in done.stderr
