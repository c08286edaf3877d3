"""`kakehashi screening load|run` and companies arriving through an import are screened."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.companies.models import Company
from app.db import session_scope
from tests.conftest import Keys
from tests.screening.conftest import API, FIXTURES, load, new_company

runner = CliRunner()
IMPORTS = Path(__file__).parents[1] / "fixtures" / "imports"


def test_cli_loads_a_list_told_by_its_header_and_reports_the_diff(
    client: TestClient, keys: Keys, tmp_path: Path
) -> None:
    held = new_company(client, keys)
    first = runner.invoke(cli, ["screening", "load", str(FIXTURES / "csl_excerpt.csv")])
    assert first.exit_code == 0, first.output
    assert "csl snapshot" in first.output
    assert "3 entries, 3 added, 0 removed, 0 changed; 1 potential hit(s) raised" in first.output
    again = runner.invoke(
        cli, ["screening", "load", str(FIXTURES / "csl_excerpt.csv"), "--list", "csl"]
    )
    assert "0 added, 0 removed, 0 changed; 0 potential hit(s) raised" in again.output
    assert runner.invoke(cli, ["screening", "run"]).output.strip() == "0 potential hit(s) raised"
    with session_scope() as session:
        assert session.get(Company, held["id"]).screening_status == "hold"  # type: ignore[union-attr]


def test_cli_bad_input_is_one_line_and_nonzero(
    client: TestClient, keys: Keys, tmp_path: Path
) -> None:
    broken = tmp_path / "eul.csv"
    broken.write_bytes((FIXTURES / "meti_eul.csv").read_bytes() + b"4,Only Two Fields\n")
    cases = {
        "line 5: expected 5 fields, found 2": [str(broken)],
        "missing columns: _id": [str(FIXTURES / "meti_eul.csv"), "--list", "csl"],
        "not a screening list": [str(IMPORTS / "companies_template.csv")],
        "no such file": [str(tmp_path / "absent.csv")],
        "--list must be one of csl, meti_eul": [str(broken), "--list", "ofac"],
    }
    for message, args in cases.items():
        result = runner.invoke(cli, ["screening", "load", *args])
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_imported_companies_are_screened(client: TestClient, keys: Keys) -> None:
    eul = (
        "no,company_name,aliases,country,type_of_concern\n"
        "1,Hoshizora Orbital Systems Kabushiki Kaisha,,JP,Missile\n"
    )
    loaded = client.post(
        f"{API}/screening/lists/meti_eul",
        files={"file": ("eul.csv", eul.encode(), "text/csv")},
        headers=keys.headers("pichtr_admin"),
    )
    assert loaded.status_code == 201
    imported = client.post(
        f"{API}/imports",
        data={"kind": "companies"},
        files={"file": ("c.csv", (IMPORTS / "companies_template.csv").read_bytes(), "text/csv")},
        headers=keys.headers("jetro_analyst"),
    )
    assert imported.status_code == 200, imported.text
    with session_scope() as session:
        statuses = dict(
            (name, status)
            for name, status in session.execute(select(Company.name, Company.screening_status))
        )
    assert statuses["Hoshizora Orbital Systems K.K."] == "hold"
    assert sum(1 for s in statuses.values() if s) == 1
    assert load(client, keys, "meti_eul.csv", "meti_eul").status_code == 201
