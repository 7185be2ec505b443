"""The command reference of the docs (docs/cli.md) is generated from the
click tree by mkdocs-click: every command `accord --help` lists, and every
subcommand of each, has its section there."""

from __future__ import annotations

from pathlib import Path

import click
import markdown

from workflows.cli import main

CLI_PAGE = Path(__file__).parents[2] / "docs" / "cli.md"


def command_paths(command: click.Command, path: str) -> list[str]:
    """`accord`, `accord audit`, `accord audit seal`...: every command of the tree, by its path."""
    if not isinstance(command, click.Group):
        return [path]
    ctx = click.Context(command, info_name=path.rsplit(" ", 1)[-1])
    found = [path]
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        assert sub is not None
        found += command_paths(sub, f"{path} {name}")
    return found


def test_every_command_of_accord_help_has_its_section_in_the_generated_reference() -> None:
    page = markdown.markdown(CLI_PAGE.read_text(), extensions=["attr_list", "mkdocs-click"])  # as mkdocs.yml has them

    paths = command_paths(main, "accord")

    assert {"accord audit seal", "accord submit VisitHeld", "accord users add"} <= set(paths)
    missing = [path for path in paths if f">{path}</h" not in page]
    assert missing == []
