"""The `kakehashi` command: organizations, keys, readable failures."""

import json
from pathlib import Path

import pytest
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


def test_users(database_url: str) -> None:
    from sqlalchemy import select

    from app.db import session_scope
    from app.users import service
    from app.users.models import User

    org = runner.invoke(cli, ["orgs", "create", "jetro", "--name", "JETRO", "--side", "jp"])
    assert org.exit_code == 0
    created = runner.invoke(
        cli,
        ["users", "create", "Kenji", "--org", "jetro", "--password-stdin"],
        input="a long enough passphrase\n",
    )
    assert created.exit_code == 0, created.output
    generated = runner.invoke(
        cli,
        ["users", "create", "aiko", "--org", "jetro", "--role", "viewer", "--generate-password"],
    )
    password = generated.stdout.strip().splitlines()[-1]
    assert generated.exit_code == 0 and len(password) >= 12
    with session_scope() as session:
        assert service.authenticate(session, username="aiko", password=password)
        hashes = session.scalars(select(User.password_hash)).all()
        assert password not in "".join(hashes)
    listed = runner.invoke(cli, ["users", "list", "--org", "jetro"])
    assert "kenji" in listed.stdout and "viewer" in listed.stdout
    assert password not in listed.stdout
    for args, message in [
        (["users", "create", "bo", "--org", "jetro", "--password-stdin"], "at least 12"),
        (["users", "create", "kenji", "--org", "jetro", "--generate-password"], "already"),
        (["users", "create", "x y", "--org", "jetro", "--generate-password"], "username"),
        (["users", "disable", "nobody"], "no user"),
    ]:
        result = runner.invoke(cli, args, input="short\n")
        assert result.exit_code == 1, result.output
        assert message in result.stderr and result.stderr.strip().count("\n") == 0
    assert runner.invoke(cli, ["users", "disable", "aiko"]).exit_code == 0
    assert "disabled" in runner.invoke(cli, ["users", "list"]).stdout
    reset = runner.invoke(cli, ["users", "set-password", "kenji", "--generate-password"])
    assert reset.exit_code == 0
    assert runner.invoke(cli, ["users", "enable", "aiko"]).exit_code == 0
    with session_scope() as session:
        new = reset.stdout.strip().splitlines()[-1]
        assert service.authenticate(session, username="kenji", password=new)


def test_users_create_with_language_and_time_zone(database_url: str) -> None:
    from app.db import session_scope
    from app.users import service

    assert (
        runner.invoke(cli, ["orgs", "create", "jetro", "--name", "JETRO", "--side", "jp"]).exit_code
        == 0
    )
    made = runner.invoke(
        cli,
        [
            *("users", "create", "hanako", "--org", "jetro", "--generate-password"),
            *("--locale", "ja", "--time-zone", "Asia/Tokyo"),
        ],
    )
    assert made.exit_code == 0, made.output
    with session_scope() as session:
        hanako = service.get_by_username(session, "hanako")
        assert (hanako.locale, hanako.time_zone) == ("ja", "Asia/Tokyo")
    for option, value in (("--locale", "fr"), ("--time-zone", "Mars/Olympus")):
        refused = runner.invoke(
            cli, ["users", "create", "taro", "--org", "jetro", "--generate-password", option, value]
        )
        assert refused.exit_code == 1 and option in refused.stderr


def test_serve_reports_a_taken_port_at_once() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(cli, ["serve", "--port", str(port)])
        assert result.exit_code == 1, result.output
        assert result.stderr.strip().count("\n") == 0
        assert f"port {port} is already in use" in result.stderr
        assert runner.invoke(cli, ["serve", "--port", str(port), "--check-port"]).exit_code == 1
    free = runner.invoke(cli, ["serve", "--port", str(port), "--check-port"])
    assert free.exit_code == 0 and "is free" in free.stdout


def test_calibrate_prints_constants_tables_and_a_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings

    monkeypatch.setenv("KAKEHASHI_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    docs = {
        "d-thruster": "Green monopropellant thrusters for small satellites.",
        "d-gan": "Gallium nitride MMIC power amplifiers for X-band radar.",
        "d-robot": "Robotic arms that sand and repaint aircraft panels.",
        "d-battery": "Lithium-ion battery packs for vehicles.",
    }
    needs = {
        "q-prop": "Prototype green propulsion thrusters for a smallsat.",
        "q-radar": "GaN power amplifier for an X-band radar.",
        "q-paint": "Automated repainting of aircraft.",
    }
    (tmp_path / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "text": v}) for k, v in docs.items())
    )
    (tmp_path / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "text": v}) for k, v in needs.items())
    )
    (tmp_path / "qrels.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq-prop\td-thruster\t2\nq-radar\td-gan\t1\nq-paint\td-robot\t2\n"
    )
    files = ["--queries", "queries.jsonl", "--corpus", "corpus.jsonl", "--qrels", "qrels.tsv"]
    args = ["calibrate", *[a if a.startswith("--") else str(tmp_path / a) for a in files]]
    result = runner.invoke(cli, [*args, "--check", str(tmp_path), "--folds", "3"])
    assert result.exit_code == 0, result.output
    for text in ("PLATT_SLOPE = ", "Reliability", "fits kept", "DEFAULT_MIN_FIT = ", "Reverse"):
        assert text in result.stdout
    assert f"{tmp_path}: 3 fits among 12 pairs" in result.stdout
    missing = runner.invoke(cli, ["calibrate", "--check", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "no such file" in missing.stderr
    get_settings.cache_clear()


def test_eval_trains_on_other_judgements_and_prints_a_learned_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings

    monkeypatch.setenv("KAKEHASHI_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    docs = {
        "d-thruster": "Green monopropellant thrusters for small satellites.",
        "d-gan": "Gallium nitride MMIC power amplifiers for X-band radar.",
        "d-robot": "Robotic arms that sand and repaint aircraft panels.",
        "d-battery": "Lithium-ion battery packs for vehicles.",
        "d-cyber": "Intrusion detection for avionics data buses.",
    }
    needs = {
        "q-prop": "Prototype green propulsion thrusters for a smallsat.",
        "q-radar": "GaN power amplifier for an X-band radar.",
        "q-paint": "Automated repainting of aircraft.",
        "q-power": "Battery packs for silent watch.",
        "q-bus": "Zero trust monitoring of MIL-STD-1553 buses.",
    }
    answers = {"q-prop": "d-thruster", "q-radar": "d-gan", "q-paint": "d-robot"}
    answers |= {"q-power": "d-battery", "q-bus": "d-cyber"}
    (tmp_path / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "text": v}) for k, v in docs.items())
    )
    for name, ids in (("test", ["q-prop", "q-radar"]), ("train", ["q-paint", "q-power", "q-bus"])):
        (tmp_path / f"{name}.jsonl").write_text(
            "\n".join(json.dumps({"_id": q, "text": needs[q]}) for q in ids)
        )
        rows = "".join(f"{q}\t{answers[q]}\t1\n" for q in ids)
        (tmp_path / f"{name}.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    files = ["--queries", "test.jsonl", "--corpus", "corpus.jsonl", "--qrels", "test.tsv"]
    args = ["eval", *[a if a.startswith("--") else str(tmp_path / a) for a in files]]

    plain = runner.invoke(cli, args)
    assert plain.exit_code == 0, plain.output
    assert [line.split()[0] for line in plain.stdout.splitlines()[-4:]] == [
        "lexical",
        "dense",
        "fused",
        "rrf",
    ]
    train = ["--train-queries", str(tmp_path / "train.jsonl")]
    trained = runner.invoke(cli, [*args, *train, "--train-qrels", str(tmp_path / "train.tsv")])
    assert trained.exit_code == 0, trained.output
    rows = {line.split()[0]: line.split()[1:] for line in trained.stdout.splitlines()[-5:]}
    assert list(rows) == ["lexical", "dense", "fused", "rrf", "learned"]
    # Three judged queries show no gain worth its noise: the learned order is the default's.
    assert "blend 0.0" in trained.stdout and rows["learned"] == rows["fused"]
    alone = runner.invoke(cli, [*args, *train])
    assert alone.exit_code == 1 and "go together" in alone.stderr
    missing = runner.invoke(cli, [*args, *train, "--train-qrels", str(tmp_path / "no.tsv")])
    assert missing.exit_code == 1 and "no such file" in missing.stderr
    get_settings.cache_clear()


def test_eval_replaces_documents_and_compares_languages_side_by_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings

    monkeypatch.setenv("KAKEHASHI_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    docs = {
        "d-gan": "Gallium nitride MMIC power amplifiers for X-band radar.",
        "d-robot": "Robotic arms that sand and repaint aircraft panels.",
        "d-battery": "Lithium-ion battery packs for vehicles.",
    }
    (tmp_path / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "text": v}) for k, v in docs.items())
    )
    japanese = {
        "_id": "d-gan",
        "text": "当社はXバンドレーダー向けの窒化ガリウム増幅器を製造しています。",
    }
    (tmp_path / "corpus-ja.jsonl").write_text(json.dumps(japanese, ensure_ascii=False))
    (tmp_path / "q.jsonl").write_text(
        json.dumps({"_id": "q-radar", "text": "GaN power amplifier for an X-band radar."})
    )
    (tmp_path / "q.tsv").write_text("query-id\tcorpus-id\tscore\nq-radar\td-gan\t1\n")
    base = ["eval", "--queries", str(tmp_path / "q.jsonl"), "--qrels", str(tmp_path / "q.tsv")]
    corpora = [
        "--corpus",
        str(tmp_path / "corpus.jsonl"),
        "--corpus",
        str(tmp_path / "corpus-ja.jsonl"),
    ]

    result = runner.invoke(cli, [*base, *corpora, "--side-by-side"])
    assert result.exit_code == 0, result.output
    # The Japanese version replaced the English one in place: three documents, one Japanese.
    assert "3 documents (en 2, ja 1)" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("fused")]
    assert [row[1:3] for row in rows] == [["en", "3"], ["en", "2,"]]
    assert "nDCG ratio" in result.stdout
    alone = runner.invoke(
        cli, [*base, "--corpus", str(tmp_path / "corpus.jsonl"), "--side-by-side"]
    )
    assert alone.exit_code == 1 and "two or more" in alone.stderr
    get_settings.cache_clear()
