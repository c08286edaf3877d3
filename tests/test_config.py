"""Settings: a refused value is named in one line and never shown, from the CLI and `serve`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Settings, describe_error

ROOT = Path(__file__).resolve().parent.parent
# Short enough to be refused; its tail must never be printed.
SECRET = "refused-secret-TAIL9731"


def run_cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script's entry point in a fresh process, with these settings."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KAKEHASHI_")}
    environ.update(PYTHONPATH=str(ROOT), KAKEHASHI_DATABASE_URL="sqlite:///:memory:", **env)
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        cwd=cwd,  # no .env file there
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args", [["db", "upgrade"], ["serve", "--port", "8149"], ["users", "list"]]
)
def test_a_refused_secret_is_one_line_without_its_value(args: list[str], tmp_path: Path) -> None:
    result = run_cli(args, tmp_path, KAKEHASHI_ENV="production", KAKEHASHI_SECRET_KEY=SECRET)
    assert result.returncode == 2, result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == [
        "error: invalid settings: KAKEHASHI_SECRET_KEY must be set to a random value of 32+ "
        "characters outside development"
    ]
    # The development default is refused the same way.
    default = run_cli([*args[:1], "--help"], tmp_path, KAKEHASHI_ENV="production")
    assert default.returncode == 2 and "KAKEHASHI_SECRET_KEY" in default.stderr


def test_a_bad_value_is_named_with_its_reason_only(tmp_path: Path) -> None:
    result = run_cli(
        ["db", "upgrade"],
        tmp_path,
        KAKEHASHI_LOGIN_RATE_LIMIT="lots-TAIL9731",
        KAKEHASHI_EMBEDDING_BATCH_SIZE="0",
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: invalid settings: KAKEHASHI_EMBEDDING_BATCH_SIZE: Input should be greater than "
        'or equal to 1; KAKEHASHI_LOGIN_RATE_LIMIT: use the form "20/minute" (per second, '
        "minute, hour or day)"
    )
    # With a long secret, production settings are accepted.
    good = run_cli(["--help"], tmp_path, KAKEHASHI_ENV="production", KAKEHASHI_SECRET_KEY="x" * 40)
    assert good.returncode == 0 and "Kakehashi" in good.stdout


def test_errors_and_the_settings_object_never_show_the_secret() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", secret_key=SECRET)
    assert "TAIL" not in str(refused.value) and "TAIL" not in describe_error(refused.value)
    with pytest.raises(ValidationError) as bad_url:
        Settings(rate_limit_storage_url="bogus://user:TAIL@cache:6379")
    assert "TAIL" not in str(bad_url.value)
    assert "KAKEHASHI_RATE_LIMIT_STORAGE_URL" in describe_error(bad_url.value)
    settings = Settings(env="production", secret_key=SECRET * 2)
    assert "TAIL" not in repr(settings) and "TAIL" not in str(settings)
