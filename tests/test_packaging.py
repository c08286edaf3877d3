"""An installed (non-editable) Kakehashi, as the Docker image has, carries every file the
application reads: templates, catalogs and static files are declared as package data."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_file_the_application_reads_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["app"]
    app = ROOT / "app"
    declared = {path for pattern in patterns for path in app.glob(pattern)}
    data = {
        path
        for path in app.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    }
    assert data, "the application has templates"
    assert data <= declared, sorted(str(p.relative_to(ROOT)) for p in data - declared)
