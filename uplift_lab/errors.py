"""Errors that reach the user as one line and exit code 2 (never a traceback)."""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Callable


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


class ParameterError(InputError):
    """A parameter's value breaks its rule, said in the library's own words (scikit-learn style):

    "The 'margin' parameter must be in (0, 1] (share of revenue that is profit). Got 1.5 instead."

    ``rule`` starts with its verb ("must be in (0, 1]"); ``example`` is a value that would do and
    ``fix`` any further advice; in both, ``{other}`` names another parameter. The parts stay on the
    error so the CLI can say the same in its own words: the flag that sets a parameter instead
    of its Python name.
    """

    def __init__(
        self,
        parameter: str,
        rule: str,
        value: object,
        *,
        example: object = None,
        fix: str | None = None,
        owner: str | None = None,
    ) -> None:
        self.parameter = parameter
        self.rule = rule
        self.value = value
        self.example = example
        self.fix = fix
        self.owner = owner
        example_text = None if example is None else f"{parameter}={example}"
        super().__init__(self.sentence(f"The {self.subject}", example_text))

    def __reduce__(self):  # pickled with its parts (the message alone cannot rebuild it)
        keywords = {"example": self.example, "fix": self.fix, "owner": self.owner}
        rebuild = functools.partial(ParameterError, **keywords)
        return (rebuild, (self.parameter, self.rule, self.value))

    @property
    def subject(self) -> str:
        """``'margin' parameter`` (``of design`` added when a step's own parameter)."""
        owner = f" of {self.owner}" if self.owner else ""
        return f"'{self.parameter}' parameter{owner}"

    def sentence(
        self, subject: str | None, example: str | None, name: Callable[[str], str] = "'{}'".format
    ) -> str:
        """The message with ``subject`` naming the parameter (none: start with the rule),
        ``example`` as the example and ``name`` naming the other parameters mentioned."""

        def named(text: str) -> str:
            return re.sub(r"\{(\w+)\}", lambda match: name(match.group(1)), text)

        rule = f"{subject} {named(self.rule)}" if subject else named(self.rule)
        parts = [f"{rule}. Got {shown_value(self.value)} instead."]
        if example is not None:
            parts.append(f"Use e.g. {example}.")
        if self.fix:
            parts.append(named(self.fix).rstrip(".") + ".")
        return " ".join(parts)


def shown_value(value: object) -> str:
    """A value as a message shows it: numbers plainly (numpy's too), anything else by repr."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and abs(number) < 1e15:  # "--budget 30" shows as 30, not 30.0
            return str(int(number))
        return repr(number)
    return repr(value)


class DataWarning(UserWarning):
    """Something in the input worth a one-line ``warning:`` (e.g. mixed time-zone offsets).

    Library code warns with ``warnings.warn(DataWarning(message))``; the CLI prints each as one
    line on stderr and carries on.
    """
