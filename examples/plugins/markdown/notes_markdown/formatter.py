"""Render a note as Markdown."""

from __future__ import annotations

from notes_core.api import Note


class MarkdownFormatter:
    def render(self, note: Note) -> str:
        return f"# {note.title}\n\n{note.body}\n"
