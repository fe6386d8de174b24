"""Plain text export with a word count."""

from __future__ import annotations

from notes_core.api import Note


class PlainFormatter:
    def render(self, note: Note) -> str:
        return f"{note.title}\n\n{note.body}\n\n({len(note.body.split())} words)\n"
