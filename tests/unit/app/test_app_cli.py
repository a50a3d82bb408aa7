"""The command line refuses a bad configuration with exit code 2 and names the variable."""

from __future__ import annotations

import sys

import pytest

from claims.cli import main, parser
from claims.context import LOCAL_DEMO_KEY, command_settings
from claims.errors import EXIT_CONFIG


@pytest.fixture(autouse=True)
def _keep_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["claims"])  # main() rewrites sys.argv for faust


@pytest.mark.parametrize("command", ["topics", "migrate", "run"])
def test_a_bad_variable_exits_with_the_configuration_code_and_names_it(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TOPIC_PARTITIONS", "abc")
    assert main([command]) == EXIT_CONFIG
    assert "configuration error: TOPIC_PARTITIONS='abc'" in capsys.readouterr().err


def test_the_local_demo_key_is_used_only_when_asked_and_none_is_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NIK_HASH_KEY", raising=False)
    assert command_settings(local_default_key=True).nik_hash_key.value == LOCAL_DEMO_KEY
    assert "never in production" in capsys.readouterr().err
    monkeypatch.setenv("NIK_HASH_KEY", "an-operator-set-key-0001")
    assert command_settings(local_default_key=True).nik_hash_key.value == "an-operator-set-key-0001"


def test_a_worker_without_a_hash_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NIK_HASH_KEY", raising=False)
    assert main(["worker"]) == EXIT_CONFIG
    assert "NIK_HASH_KEY" in capsys.readouterr().err


def test_the_run_command_has_documented_defaults() -> None:
    args = parser().parse_args(["run"])
    assert (args.scenario, args.seed, args.scale, args.workers, args.fresh) == (
        "jakarta-2016",
        2016,
        1.0,
        1,
        False,
    )


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["nonsense"])
    assert exit_.value.code == 2


def test_a_worker_without_the_dead_letter_public_key_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NIK_HASH_KEY", "an-operator-set-key-0001")
    monkeypatch.delenv("DEAD_LETTER_PUBLIC_KEY", raising=False)
    assert main(["worker"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.startswith("claims worker: configuration error: DEAD_LETTER_PUBLIC_KEY")
    assert err.count("\n") == 1


def test_the_local_demo_keys_include_the_dead_letter_public_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.sealing import DEMO_PUBLIC_KEY

    monkeypatch.delenv("DEAD_LETTER_PUBLIC_KEY", raising=False)
    monkeypatch.setenv("NIK_HASH_KEY", "an-operator-set-key-0001")
    assert command_settings(local_default_key=True).dead_letter_public_key == DEMO_PUBLIC_KEY
    assert command_settings(local_default_key=False).dead_letter_public_key == ""
