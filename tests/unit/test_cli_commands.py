"""The command line names each command with the module that defines it, and
imports a module only when one of its commands is asked for."""

import subprocess
import sys

import click

from workflows.cli import COMMANDS, main


def test_every_command_is_found_under_its_own_name() -> None:
    context = click.Context(main)

    for name in COMMANDS:
        command = main.get_command(context, name)
        assert command is not None and command.name == name, name
    assert main.list_commands(context) == sorted(COMMANDS)


def test_one_command_imports_the_module_of_no_other() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from workflows.cli import main\n"
        "CliRunner().invoke(main, ['submit', '--help'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('workflows.cli.')))\n"
    )

    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    shared = ["workflows.cli.context", "workflows.cli.output", "workflows.cli.progress"]
    assert loaded.strip() == str([*shared, "workflows.cli.submit"])
