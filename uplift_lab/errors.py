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


PARAMETER_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)(?:=([^{}]*))?\}")


class Named(str):
    """A parameter as the source of a :func:`usage_error` (``Named("start")``: "'start': ...")."""

    def __new__(cls, parameter: str) -> Named:
        return super().__new__(cls, "{" + parameter + "}")


def literal(text: object) -> str:
    """``text`` (a value, label or path) for a UsageError template: its braces kept as braces."""
    if isinstance(text, Named):
        return str(text)
    return str(text).replace("{", "{{").replace("}", "}}")


def with_value(parameter: str, value: object) -> str:
    """``parameter`` set to ``value`` in a UsageError template: ``{status_col=paid}`` (the CLI
    says ``--status-col paid``), or ``{status_col} {{x}}`` for a value with braces, which a
    placeholder cannot hold."""
    text = str(value)
    if "{" in text or "}" in text:
        return f"{{{parameter}}} {literal(text)}"
    return f"{{{parameter}={text}}}"


def quoted_parameter(name: str, value: str | None = None) -> str:
    """How the library names a parameter in a message: ``'start'``, or ``start=2026-06-01``."""
    return f"'{name}'" if value is None else f"{name}={value}"


class UsageError(InputError):
    """Bad input about parameters (one missing, two that do not go together), said with the
    parameters as placeholders so that each caller names them in its own vocabulary.

    In ``template``, ``{start}`` names the parameter ``start`` and ``{start=2026-06-01}`` gives it
    with an example value. The library's message says ``'start'`` and ``start=2026-06-01``; the
    CLI renders the same template with flags (``--start``, ``--start 2026-06-01``). Only
    ``{identifier}`` and ``{identifier=...}`` are placeholders; as in :meth:`str.format`, ``{{``
    and ``}}`` are literal braces (wrap values shown in the message in :func:`literal`).
    """

    def __init__(self, template: str) -> None:
        self.template = template
        super().__init__(self.render(quoted_parameter))

    def __reduce__(self):  # pickled with its template (the message alone cannot rebuild it)
        return (type(self), (self.template,))

    def render(self, name: Callable[[str, str | None], str]) -> str:
        """The message with every placeholder replaced by ``name(parameter, value or None)``."""
        return render_placeholders(self.template, name)


def render_placeholders(template: str, name: Callable[[str, str | None], str]) -> str:
    """``template`` with each ``{parameter}`` / ``{parameter=value}`` replaced by
    ``name(parameter, value or None)`` and ``{{`` / ``}}`` as literal braces."""

    def replaced(match: re.Match) -> str:
        if match.group(1) is None:  # an escaped brace
            return match.group(0)[0]
        return name(match.group(1), match.group(2))

    return PARAMETER_PLACEHOLDER.sub(replaced, template)


def usage_error(source: object, problem: str, fix: str | None = None) -> UsageError:
    """A UsageError in the house format ``<source>: <problem>. <fix>`` (see :func:`input_error`)."""
    return UsageError(input_error(literal(source), problem, fix).args[0])


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
            return render_placeholders(text, lambda parameter, _value: name(parameter))

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

    Library code warns with ``warnings.warn(DataWarning(notice))``, a
    :class:`~uplift_lab.notices.Notice` (a code and its numbers) kept as ``notice``; the CLI puts
    it in words (:func:`uplift_lab.report.notice_text.render_notice`), prints each as one line
    on stderr and carries on.
    """

    def __init__(self, notice: object) -> None:
        super().__init__(notice)
        self.notice = notice

    def __str__(self) -> str:
        """Outside the CLI: the notice's code and numbers (``mixed_offsets: column='t', ...``),
        readable without the words of report/ (which this ground floor does not import)."""
        code, params = getattr(self.notice, "code", None), getattr(self.notice, "params", None)
        if code is None or params is None:
            return str(self.notice)
        shown = ", ".join(f"{key}={value!r}" for key, value in params.items())
        return f"{code}: {shown}" if shown else str(code)
