"""Files people write by hand (the configuration, rules, policy, directory
and users files), each read through the command that reads it: nested too
deep, or too big, each is refused in one sentence naming the file and,
where there is one, the line and column; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from workflows.cli import main

# Each way of nesting, three thousand levels deep, on line 2, and the
# column of the mark that goes one level past 32.
DEEP = {
    "brackets": ("x = " + "[" * 3000 + "]" * 3000, 37),
    "inline tables": ("x = " + "{a = " * 3000 + "1" + "}" * 3000, 165),
    "dotted keys": ("x" + ".a" * 3000 + " = 1", 66),
}
SAID = "nested too deep (at line 2, column {}): Accord reads tables and lists nested at most 32 levels deep"


def run(*args: str, env: dict[str, str]) -> Result:
    return CliRunner().invoke(main, list(args), env={"ACCORD_CONFIG": "", **env}, catch_exceptions=False)


# Each kind of file: how a command is given it, and the line that says what is wrong with it.
def rules(path: str) -> Result:
    return run("rules", "check", path, env={})


def policy(path: str) -> Result:
    return run("policy", "check", path, env={})


def directory(path: str) -> Result:
    return run("directory", "check", path, env={})


def users(path: str) -> Result:
    return run("users", "list", env={"ACCORD_USERS": path})


def config(path: str) -> Result:
    return run("config", env={"ACCORD_CONFIG": path})


KINDS = {"rules": rules, "policy": policy, "directory": directory, "users": users, "config": config}


def refusal(kind: str, path: str, sentence: str) -> str:
    """The line a command prints to refuse a file: the configuration is read
    before any command, as its options are."""
    return f"Error: {path}: {sentence}" if kind == "config" else f"accord: {path}: {sentence}"


@pytest.fixture(autouse=True)
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no accord.toml of the working folder
    return tmp_path


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("nesting", DEEP)
def test_a_file_nested_thousands_deep_is_refused_at_its_line_and_column(here: Path, kind: str, nesting: str) -> None:
    line, column = DEEP[nesting]
    path = here / f"{kind}.toml"
    path.write_text(f"# nested\n{line}\n")

    result = KINDS[kind](str(path))

    assert result.exit_code == 2
    assert refusal(kind, str(path), SAID.format(column)) in result.output.splitlines()
    assert "Traceback" not in result.output and "RecursionError" not in result.output


@pytest.mark.parametrize("kind", KINDS)
def test_arrays_of_tables_nested_past_32_levels_are_refused_naming_where(here: Path, kind: str) -> None:
    # Each header [[a.a]] opens a table inside the last of [[a]]: two levels each.
    path = here / f"{kind}.toml"
    path.write_text("".join(f"[[{'.'.join(['a'] * n)}]]\n" for n in range(1, 18)))

    result = KINDS[kind](str(path))

    assert result.exit_code == 2
    where = ".".join(["a[0]"] * 16)[:79] + "…"
    sentence = f"nested too deep (at {where}): Accord reads tables and lists nested at most 32 levels deep"
    assert refusal(kind, str(path), sentence) in result.output.splitlines()


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_larger_than_10_mb_is_refused_in_a_sentence(here: Path, kind: str) -> None:
    path = here / f"{kind}.toml"
    path.write_text("# " + "x" * 10 * 2**20 + "\n")  # 10 MB and three bytes

    result = KINDS[kind](str(path))

    assert result.exit_code == 2
    sentence = "is larger than 10 MB, the most Accord reads of a file written by hand"
    assert refusal(kind, str(path), sentence) in result.output.splitlines()


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_that_is_not_toml_is_named_with_its_line_and_column(here: Path, kind: str) -> None:
    path = here / f"{kind}.toml"
    path.write_text("# fine\nx = \n")

    result = KINDS[kind](str(path))

    assert result.exit_code == 2
    sentence = "not valid TOML: Invalid value (at line 2, column 5)"
    assert refusal(kind, str(path), sentence) in result.output.splitlines()
