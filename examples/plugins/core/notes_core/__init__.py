"""The notes app's core plugin: the formatter interface and the note type."""
