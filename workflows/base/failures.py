"""The kinds of failure, which each error says of itself by the class it
derives from, so that the command line turns any error into its exit status
(workflows.application.errors) without knowing the modules that raise them.

Exit statuses: 2 for bad input (nothing was stored), 1 for a store that
cannot be used, 3 for an audit that found the record not as it should be.
"""

from __future__ import annotations


class BadInput(Exception):
    """What was given is wrong: a submission, an option, a file. Nothing was stored."""

    status = 2


class StoreUnusable(Exception):
    """The store cannot be used now: out of reach, too busy, unreadable with
    the key given, or held by another scheduler."""

    status = 1


class ToolUnavailable(Exception):
    """A program Accord drives (Chromium, to print a PDF) is missing or failed."""

    status = 1


class OutputInvalid(Exception):
    """What Accord made failed its own check before it was written (an
    export its format's schema refuses): nothing was written."""

    status = 1


class VerificationFailed(Exception):
    """The audit found the log, a projection, a snapshot or the key index not
    as it should be."""

    status = 3
