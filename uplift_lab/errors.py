"""Errors that reach the user as one line and exit code 2 (never a traceback)."""

from __future__ import annotations


class UpliftLabError(Exception):
    """Base class of every error that the CLI reports as a one-line message."""

    exit_code = 1


class InputError(UpliftLabError):
    """Bad user input: a file, column, value or option. The message names it and says the fix."""

    exit_code = 2


def input_error(source: object, problem: str, fix: str | None = None) -> InputError:
    """Build an InputError with the house format: ``<source>: <problem>. <fix>``."""
    message = f"{source}: {problem}"
    if fix:
        message = f"{message.rstrip('.')}. {fix}"
    return InputError(message)


class DataWarning(UserWarning):
    """Something in the input worth a one-line ``warning:`` (e.g. mixed time-zone offsets).

    Library code warns with ``warnings.warn(DataWarning(message))``; the CLI prints each as one
    line on stderr and carries on.
    """
