"""The `kakehashi` command: organizations, keys, readable failures."""

from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


def test_orgs_and_keys(database_url: str) -> None:
    created = runner.invoke(cli, ["orgs", "create", "pichtr", "--name", "PICHTR", "--side", "us"])
    assert created.exit_code == 0, created.output
    key = runner.invoke(cli, ["keys", "create", "--org", "pichtr", "--role", "viewer"])
    assert key.exit_code == 0, key.output
    raw = key.stdout.strip().splitlines()[-1]
    assert raw.startswith("kk_")
    prefix = raw.split("_")[1]
    listed = runner.invoke(cli, ["keys", "list"])
    assert prefix in listed.stdout and raw not in listed.stdout
    revoked = runner.invoke(cli, ["keys", "revoke", prefix])
    assert revoked.exit_code == 0


def test_failures_are_one_line_and_nonzero(database_url: str) -> None:
    duplicate = ["orgs", "create", "jetro", "--name", "JETRO", "--side", "jp"]
    assert runner.invoke(cli, duplicate).exit_code == 0
    again = runner.invoke(cli, duplicate)
    assert again.exit_code == 1
    assert again.stderr.strip().count("\n") == 0 and "already exists" in again.stderr
    for args, message in [
        (["keys", "create", "--org", "nobody"], "no organization"),
        (["keys", "create", "--org", "jetro", "--role", "boss"], "--role"),
        (["orgs", "create", "x", "--name", "X", "--side", "mars"], "--side"),
        (["keys", "revoke", "deadbeef"], "no API key"),
    ]:
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert message in result.stderr
