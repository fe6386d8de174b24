"""Flag misspelt words when a note is saved."""

from __future__ import annotations

from notes_core.api import Note

MISSPELT = ("teh", "recieve")


def check_spelling(note: Note) -> list[str]:
    words = note.body.lower().split()
    return [f"{note.title}: {w!r} looks misspelt" for w in words if w in MISSPELT]
