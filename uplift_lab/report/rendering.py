"""The one Jinja2 environment of the reports' Markdown and HTML templates."""

from __future__ import annotations

from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


def template_environment():
    """Templates from ``report/templates``: HTML autoescaped, blocks trimmed, final newline kept."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
