"""The README's walkthrough runs as written against a live demo.

Each shell block preceded by `<!-- walkthrough -->` is run, in order, by one bash process (so
variables carry from block to block, as in a terminal) in a folder laid out like the repository
after `make demo`: `.demo-key`, `.demo-login`, `seed_data/` and `.venv/`. The server is a real
`kakehashi serve` on a temporary SQLite database prepared the way `make demo` prepares it (db
upgrade, seed, embed, key, user), with its job worker running as in the demo. Every `curl`
fails on an HTTP error (a curlrc adds --fail-with-body) and the script stops at the first
failing command. The
`kakehashi` command is not on PATH until the README's `source .venv/bin/activate` puts it there.
Only the port differs from the README's 8000.
"""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = "<!-- walkthrough -->"
BLOCK = re.compile(re.escape(MARKER) + r"\n```bash\n(.*?)\n```", re.DOTALL)
README_ADDRESS = "127.0.0.1:8000"
BIN = Path(sys.executable).parent


def walkthrough() -> list[str]:
    """The marked shell blocks of the README, in order."""
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_walkthrough_blocks_are_marked_bash_blocks() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = walkthrough()
    assert len(blocks) == text.count(MARKER) >= 4, "each marker must precede a ```bash block"
    script = "\n".join(blocks)
    assert "source .venv/bin/activate" in blocks[0]
    assert README_ADDRESS in script
    # The walkthrough runs against a demo already served; `make demo` itself is not part of it.
    assert not re.search(r"^\s*make\b", script, re.MULTILINE)
    # Files the walkthrough names exist in the repository.
    for name in re.findall(r"(seed_data/[\w./-]+)", script):
        assert (ROOT / name).is_file(), name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def without_kakehashi(path: str) -> str:
    """PATH less any folder holding a `kakehashi` command: the README must put it there."""
    return os.pathsep.join(
        p for p in path.split(os.pathsep) if p and not Path(p, "kakehashi").exists()
    )


def lay_out_checkout(folder: Path) -> None:
    """The repository's files the walkthrough reads, and the virtualenv at `.venv`."""
    (folder / "seed_data").symlink_to(ROOT / "seed_data")
    venv = Path(sys.prefix)
    if (venv / "bin" / "activate").is_file():
        (folder / ".venv").symlink_to(venv)
    else:  # tests run by an interpreter outside a virtualenv: an activate that does the same
        (folder / ".venv" / "bin").mkdir(parents=True)
        (folder / ".venv" / "bin" / "activate").write_text(f'export PATH="{BIN}:$PATH"\n')


@dataclass
class Demo:
    folder: Path
    port: int
    env: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A demo prepared and served as `make demo` does, in a folder of its own."""
    folder = tmp_path_factory.mktemp("checkout")
    lay_out_checkout(folder)
    curl_home = tmp_path_factory.mktemp("curl")
    (curl_home / ".curlrc").write_text("fail-with-body\nshow-error\n")
    env = {
        **os.environ,
        "KAKEHASHI_DATABASE_URL": f"sqlite:///{folder / 'kakehashi.db'}",
        "KAKEHASHI_UPLOAD_DIR": str(folder / "var" / "uploads"),
        "KAKEHASHI_ENV": "development",
        "HF_HUB_OFFLINE": "1",
        "CURL_HOME": str(curl_home),
        "PATH": without_kakehashi(os.environ.get("PATH", "")),
    }
    env.pop("VIRTUAL_ENV", None)
    kakehashi = str(BIN / "kakehashi")

    def run(*args: str, stdout: Path | None = None) -> None:
        with (stdout or Path(os.devnull)).open("w") as out:
            done = subprocess.run(
                [kakehashi, *args], cwd=folder, env=env, stdout=out, stderr=subprocess.PIPE,
                text=True, timeout=600, check=False,
            )  # fmt: skip
        assert done.returncode == 0, f"kakehashi {' '.join(args)}: {done.stderr}"

    run("db", "upgrade")
    run("seed")
    run("embed")
    run("insights", "snapshot")
    run("keys", "create", "--org", "pichtr", "--role", "admin", "--label", "demo",
        stdout=folder / ".demo-key")  # fmt: skip
    run("users", "create", "demo", "--org", "pichtr", "--role", "admin", "--generate-password",
        stdout=folder / ".demo-login")  # fmt: skip

    port = int(os.environ.get("KAKEHASHI_README_PORT") or free_port())
    log = (folder / "serve.log").open("w")
    server = subprocess.Popen(
        [kakehashi, "serve", "--port", str(port)],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (folder / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer within 180 s"
            time.sleep(0.5)
        yield Demo(folder, port, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_http_errors_fail_curl_here(demo: Demo) -> None:
    """Without this the walkthrough's exit statuses would prove nothing."""
    missing = subprocess.run(
        ["curl", "-s", f"http://127.0.0.1:{demo.port}/api/v1/no-such-thing"],
        env=demo.env, capture_output=True, check=False,
    )  # fmt: skip
    assert missing.returncode == 22


def test_walkthrough_runs_as_written(demo: Demo) -> None:
    steps = "\n".join(walkthrough()).replace(README_ADDRESS, f"127.0.0.1:{demo.port}")
    script = (
        "set -Eeo pipefail\n"
        "trap 'echo \"README step failed (exit $?): $BASH_COMMAND\" >&2' ERR\n"
        "command -v kakehashi >/dev/null && { echo 'kakehashi was on PATH already' >&2; exit 1; }\n"
        + steps
        + "\n"
    )
    done = subprocess.run(
        ["bash", "-c", script], cwd=demo.folder, env=demo.env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    server_log = (demo.folder / "serve.log").read_text()[-4000:]
    assert done.returncode == 0, (
        f"{done.stderr[-2000:]}\n--- stdout ---\n{done.stdout[-1500:]}"
        f"\n--- server ---\n{server_log}"
    )
    out, err = done.stdout, done.stderr
    # A few outputs that show each part did what the README says it does.
    assert out.startswith('{"status":"ok"')
    assert '"id":74' in out and '"name":"Kawasemi Microwave Devices Co., Ltd."' in out
    assert '"keywords":["GaN MMIC","Ka-band"]' in out
    summary = re.search(r'"filename":"sam-extract.csv"[^{]*', out)  # up to its errors
    assert summary is not None, "no import summary"
    for count in ('"rows":7', '"created":6', '"rejected":1'):
        assert count in summary.group(0), (count, summary.group(0))
    flagged = re.search(r'"duplicates":\[\{"id":(\d+),"entity_type":"solicitation"', out)
    assert flagged is not None and int(flagged.group(1)) > 1
    assert re.search(r"/api/v1/imports/\d+\n", out)
    assert re.search(
        r'\{"id":1,"entity_type":"solicitation".*"resolution":"archived_imported"', out
    )
    assert "dry run, nothing saved" in " ".join(out.split())
    assert "4 created" in " ".join(out.split())
    assert "created analyst user kenji for jetro" in err


def test_open_means_open_on_the_demo(demo: Demo) -> None:
    """The demo's solicitation whose deadline passed a week ago is listed as closed."""
    key = (demo.folder / ".demo-key").read_text().strip()
    api = f"http://127.0.0.1:{demo.port}/api/v1/solicitations"
    headers = {"Authorization": f"Bearer {key}"}
    now = datetime.now(UTC)

    def deadline(item: dict[str, Any]) -> datetime | None:
        value = item["response_deadline"]
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

    open_ones = httpx.get(api, params={"status": "open", "limit": 200}, headers=headers).json()
    assert open_ones["total"] > 0
    for item in open_ones["items"]:
        assert item["status"] == "open"
        assert (deadline(item) or now) >= now
    closed = httpx.get(api, params={"status": "closed", "limit": 200}, headers=headers).json()
    past = [s for s in closed["items"] if (deadline(s) or now) < now]
    assert past and all(s["status"] == "closed" for s in past)
