"""Imports never half-write and never crash: each bad-input kind exits 2 with one line naming the
file and line, and leaves the database as it was; --skip-invalid is the opt-in for partial imports."""

import json

import pytest

from parcours.catalogue.models import Service
from parcours.diagnosis.models import OrientationRule
from parcours.labour.models import Occupation
from parcours.market.models import Establishment, Hire, JobOffer
from tests.cli.helpers import run_cli

HIRES_HEADER = "siret,hired_on,rome_code,contract_type,naf,commune_insee,establishment_name\n"
OFFERS_HEADER = "id,title,rome_code,contract_type,posted_on\n"


def hire_line(i: int) -> str:
    return f"{12345678900000 + i % 50},2025-01-{1 + i % 28:02d},J1501,CDI,8710A,,Etablissement {i % 50}\n"


def offer_line(i: int) -> str:
    return f"O{i},Aide-soignant,J1501,CDI,2025-03-04\n"


def write(tmp_path, name: str, content: bytes | str):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def assert_one_line_exit_2(result, expected: str):
    code, out, err = result
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0], lines[0]


@pytest.mark.django_db
def test_2500_good_hires_then_one_latin1_byte_write_nothing(tmp_path, capsys):
    body = "".join(hire_line(i) for i in range(2500))
    path = write(
        tmp_path,
        "hires.csv",
        HIRES_HEADER.encode() + body.encode() + b"12345678900001,2025-02-01,J1501,CDI,,,Caf\xe9\n",
    )
    assert_one_line_exit_2(
        run_cli(capsys, "market", "import-hires", path, "--no-progress"), f"{path}:2502: not UTF-8"
    )
    assert (Hire.objects.count(), Establishment.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_2500_good_offers_then_one_latin1_byte_write_nothing(tmp_path, capsys):
    body = "".join(offer_line(i) for i in range(2500))
    path = write(
        tmp_path, "offers.csv", OFFERS_HEADER.encode() + body.encode() + b"Z1,Caf\xe9,J1501,CDI,2025-03-04\n"
    )
    assert_one_line_exit_2(
        run_cli(capsys, "market", "import-offers", path, "--no-progress"), f"{path}:2502: not UTF-8"
    )
    assert JobOffer.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (HIRES_HEADER.encode() + hire_line(1).encode() + b"\x00\x01\x02\x03", ":3: binary data"),
        (HIRES_HEADER.encode() + hire_line(1).replace(",", ";").encode(), ":2: wrong delimiter"),
        (
            HIRES_HEADER.encode() + hire_line(1).encode() + b"12345678900011,2025-01",
            ":3: truncated last line",
        ),
        (
            HIRES_HEADER.encode() + b'12345678900011,2025-01-10,J1501,CDI,,,"' + b"x" * 200_000 + b'"\n',
            ":2: a field is longer than",
        ),
        (HIRES_HEADER.encode(), "header only, no data row"),
        (b"", "empty file"),
        (b"siret,date\n12345678900011,2025-01-10\n", ":1: missing column(s) hired_on"),
    ],
    ids=[
        "binary",
        "wrong-delimiter",
        "truncated",
        "oversized-field",
        "header-only",
        "empty",
        "missing-columns",
    ],
)
@pytest.mark.django_db
def test_bad_hires_files_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, content, expected):
    path = write(tmp_path, "hires.csv", content)
    assert_one_line_exit_2(run_cli(capsys, "market", "import-hires", path, "--no-progress"), expected)
    assert (Hire.objects.count(), Establishment.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_invalid_rows_import_nothing_and_show_the_first_20_and_a_count(tmp_path, capsys):
    good = "".join(hire_line(i) for i in range(10))
    bad = "".join(f"1234,2025-01-{1 + i % 28:02d},J1501,CDI,,,\n" for i in range(25))
    path = write(tmp_path, "hires.csv", HIRES_HEADER + good + bad)
    code, out, err = run_cli(capsys, "market", "import-hires", path, "--no-progress")
    lines = err.strip().splitlines()
    assert (code, out, Hire.objects.count()) == (2, "", 0)
    assert lines[0] == f"{path}:12: siret: not a SIRET (14 digits): '1234'"
    assert len(lines) == 22
    assert lines[20] == "... and 5 more invalid row(s) not shown"
    assert (
        lines[21]
        == f"CommandError: {path}: 25 invalid record(s), nothing imported; fix them or use --skip-invalid"
    )

    code, out, _ = run_cli(
        capsys, "market", "import-hires", path, "--no-progress", "--skip-invalid", "--json"
    )
    assert code == 0
    assert (json.loads(out)["created"], len(json.loads(out)["errors"])) == (10, 25)
    assert Hire.objects.count() == 10


@pytest.mark.django_db
def test_no_valid_row_exits_2_even_with_skip_invalid(tmp_path, capsys):
    path = write(tmp_path, "hires.csv", HIRES_HEADER + "1234,2025-01-10,J1501,CDI,,,\n")
    code, _, err = run_cli(capsys, "market", "import-hires", path, "--no-progress", "--skip-invalid")
    assert code == 2
    assert err.strip().splitlines()[-1] == f"CommandError: {path}: no valid record (1 invalid)"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2, 3]", "no valid record (3 invalid)"),
        ('{"results": []}', 'expected a list of offers or an object with a "resultats" list'),
        ("[]", "no record"),
        ('{"resultats": [', ":1: invalid JSON at column 16"),
    ],
    ids=["list-of-numbers", "wrong-object", "empty-list", "truncated-json"],
)
@pytest.mark.django_db
def test_offers_json_of_the_wrong_shape_exits_2(tmp_path, capsys, content, expected):
    path = write(tmp_path, "offers.json", content)
    code, _, err = run_cli(capsys, "market", "import-offers", path, "--no-progress")
    assert code == 2
    assert expected in err.strip().splitlines()[-1]
    assert JobOffer.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2, 3]", "3 invalid record(s), nothing imported"),
        ('{"structures": [], "services": []}', "no record"),
        (b'{"structures": ["caf\xe9"]}', ":1: not UTF-8"),
        ('"just a string"', "expected a JSON object or list"),
    ],
    ids=["list-of-numbers", "empty", "latin-1", "string"],
)
@pytest.mark.django_db
def test_catalogue_import_of_a_bad_file_exits_2_and_writes_nothing(tmp_path, capsys, content, expected):
    path = write(tmp_path, "catalogue.json", content)
    code, _, err = run_cli(capsys, "catalogue", "import", path)
    assert code == 2
    assert expected in err.strip().splitlines()[-1]
    assert Service.objects.count() == 0


@pytest.mark.django_db
def test_orientation_rules_are_all_or_nothing(tmp_path, capsys):
    from parcours.diagnosis.management.commands.diagnosis import RULES_FILE

    rules = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    path = write(tmp_path, "rules.json", json.dumps([rules[0], {"no_such_field": 1}]))
    code, _, err = run_cli(capsys, "diagnosis", "load-orientation-rules", "--file", path)
    assert code == 2
    assert "rules.json: rule 1: unknown fields ['no_such_field']" in err
    assert OrientationRule.objects.count() == 0
    broken = write(tmp_path, "broken.json", b"[\n{\xff}]")
    assert_one_line_exit_2(
        run_cli(capsys, "diagnosis", "load-orientation-rules", "--file", broken), "broken.json:2: not UTF-8"
    )


@pytest.mark.django_db
def test_import_rome_on_a_broken_folder_prints_at_most_20_errors_and_a_count(tmp_path, capsys):
    import shutil

    from tests.labour.conftest import ROME_SAMPLE

    folder = tmp_path / "rome"
    shutil.copytree(ROME_SAMPLE, folder)
    titles = next(folder.glob("unix_referentiel_appellation_v*_utf8.csv"))
    lines = titles.read_text(encoding="utf-8").splitlines()
    titles.write_text(
        "\n".join([lines[0]] + [line + ',"extra"' for line in lines[1:]]) + "\n", encoding="utf-8"
    )
    code, _, err = run_cli(capsys, "labour", "import-rome", str(folder), "--no-progress", "--no-fit")
    lines_err = err.strip().splitlines()
    assert code == 2
    assert len(lines) - 1 > 20
    assert len(lines_err) == 22
    assert lines_err[20] == f"... and {len(lines) - 1 - 20} more invalid row(s) not shown"
    assert lines_err[21].startswith("CommandError: ")
    assert Occupation.objects.count() == 0
