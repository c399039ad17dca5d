"""Reporting layer: turn result dataclasses into terminal tables, JSON, Markdown and HTML."""
