"""`kakehashi reports nightly` and `reports send`: dry runs, readable failures, reruns, and a
run killed in the middle of sending."""

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.organizations.models import Side
from app.reports.models import ReportStatus
from tests.reports.outbox_data import messages, organization, recipient, solicitation_at
from tests.reports.smtp import Inbox, smtp_server, smtp_settings

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
# A past night of JETRO (08:00 Asia/Tokyo): its send time has come whenever the tests run.
NIGHT = "2026-11-29"


@pytest.fixture
def inbox(database_url: str) -> Iterator[Inbox]:
    box = Inbox()
    with smtp_server(box) as port, smtp_settings(port):
        yield box


@pytest.fixture
def jetro(database_url: str) -> int:
    organization("pichtr", side=Side.US, send_time="07:00", zone="America/New_York", platform=True)
    return organization("jetro", side=Side.JP, send_time="08:00", zone="Asia/Tokyo")


def test_a_dry_run_shows_each_recipient_and_writes_nothing(inbox: Inbox, jetro: int) -> None:
    from datetime import UTC, datetime

    recipient(jetro, "kenji@jetro.example", locale="ja")
    recipient(jetro, "aiko@jetro.example")
    solicitation_at(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))

    result = runner.invoke(cli, ["reports", "nightly", "--date", NIGHT, "--dry-run"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "dry run: nothing was written or sent"
    shown = [line for line in lines if line.startswith(f"jetro {NIGHT} ")]
    assert len(shown) == 2
    assert "kenji@jetro.example" in shown[0] and "1 solicitations" in shown[0]
    assert "aiko@jetro.example" in shown[1]
    assert messages() == [] and inbox.received == []


def test_nightly_then_again_sends_each_report_once(inbox: Inbox, jetro: int) -> None:
    recipient(jetro, "kenji@jetro.example", locale="ja")
    first = runner.invoke(cli, ["reports", "nightly", "--date", NIGHT, "--org", "jetro"])
    assert first.exit_code == 0, first.output
    assert f"jetro {NIGHT}: 1 written" in first.stdout
    assert "sent 1," in first.stdout
    again = runner.invoke(cli, ["reports", "nightly", "--date", NIGHT, "--org", "jetro"])
    assert again.exit_code == 0, again.output
    assert "0 written, 0 skipped (nothing new), 1 already written" in again.stdout
    assert "sent 0," in again.stdout
    flushed = runner.invoke(cli, ["reports", "send"])
    assert flushed.exit_code == 0 and "sent 0," in flushed.stdout
    assert len(inbox.received) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-13-01"], "--date must be a date YYYY-MM-DD, not '2026-13-01'"),
        (["--date", "yesterday"], "--date must be a date YYYY-MM-DD"),
        (["--org", "nobody"], "no organization with slug 'nobody'"),
    ],
)
def test_bad_arguments_are_one_readable_line(jetro: int, args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["reports", "nightly", *args])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
    assert messages() == []


def test_a_run_killed_while_sending_then_rerun_sends_each_report_once(
    inbox: Inbox, jetro: int, database_url: str
) -> None:
    from app.config import get_settings

    addresses = [f"r{n}@jetro.example" for n in range(5)]
    for address in addresses:
        recipient(jetro, address)
    inbox.stall_on = 2  # the server holds the second message and never answers it
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KAKEHASHI_DATABASE_URL": database_url,
        "KAKEHASHI_SMTP_PORT": str(get_settings().smtp_port),
    }
    command = [sys.executable, "-c", "from app.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "reports", "nightly", "--date", NIGHT, "--org", "jetro"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert inbox.stalling.wait(180), "the run never reached the second message"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)  # reaped: its pid is gone
    rows = messages()
    assert Counter(row.status for row in rows) == {
        ReportStatus.SENT: 1,
        ReportStatus.SENDING: 1,  # claimed by the dead process
        ReportStatus.PENDING: 3,
    }
    assert len(inbox.received) == 1

    inbox.stall_on = None
    inbox.release.set()
    rerun = runner.invoke(cli, ["reports", "nightly", "--date", NIGHT, "--org", "jetro"])
    assert rerun.exit_code == 0, rerun.output
    assert "5 already written" in rerun.stdout and "sent 4," in rerun.stdout
    assert sorted(a for r in inbox.received for a in r.rcpt_tos) == addresses
    assert {row.status for row in messages()} == {ReportStatus.SENT}
