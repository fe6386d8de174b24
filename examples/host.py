"""A host in ten lines: load the example plugins, export a note with every formatter, run the save hook."""

from pathlib import Path
from types import SimpleNamespace

from manifold import Manager

with Manager([Path(__file__).parent / "plugins"], app="notes", api_version="1.0") as manager:
    manager.start()  # notes.core is eager; the others load when their extensions are used
    note = SimpleNamespace(title="Groceries", body="teh milk and bread")
    for handle in manager.extensions("notes.formatters"):  # highest priority first
        print(f"--- {handle.plugin}: {handle.config['label']} ({handle.config['suffix']})")
        print(handle.load().render(note))
    for handle in manager.extensions("notes.on-save"):
        print("on save:", handle.load()(note=note))
