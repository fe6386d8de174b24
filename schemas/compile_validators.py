"""Write the compiled validators of the shipped schemas: ``src/manifold/manifest/_compiled/<name>.py``.

manifold answers "is this manifest valid?" with validators that fastjsonschema generates from
the schemas. Generating one costs about 50 ms, and importing the generated module costs about
1 ms once Python has cached its bytecode, so the modules are generated here, ahead of time, and
shipped. ``jsonschema`` still walks every document they reject, for the diagnostics.

Each module records the SHA-256 of the schema it was generated from (annotations stripped,
patterns anchored as manifold reads them); ``tests/test_schema_engines.py`` fails when a schema
changed and this script was not run again.

Run from the repository root after editing a schema (after ``schemas/sync_bundle_schema.py``):
``python schemas/compile_validators.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from manifold.manifest.schema import COMPILED, compiled_source  # noqa: E402

TARGET = ROOT / "src" / "manifold" / "manifest" / "_compiled"


def main() -> int:
    for name in COMPILED:
        path = TARGET / f"{name}.py"
        text = compiled_source(name)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
