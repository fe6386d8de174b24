"""The draft-07 JSON-Schema-Test-Suite, run through the embedded-schema path exactly as manifests use it.

The cases come from the official suite (tests/fixtures/json-schema-test-suite, with its licence),
as vendored by jsonschema's source distribution, without the cases that need remote documents
(refRemote.json, optional/cross-draft.json). Each schema goes through ``check_schema`` as a
``config-schema`` does, then each value through ``instance_problems``: no case may crash, every
required case agrees with the suite, and the optional cases manifold answers otherwise are listed
below with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from manifold.manifest.embedded import check_schema, instance_problems

SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "json-schema-test-suite" / "draft7"

# Optional cases manifold answers differently, on purpose: file (or file/group) -> why.
DISAGREEMENTS = {
    "optional/format/": "format is an annotation: like jsonschema by default, manifold does not assert it",
    "optional/content.json": "contentMediaType and contentEncoding are annotations in draft-07",
    "optional/ecmascript-regex.json|patterns always use unicode semantics with pattern": "\\p{...} is not supported",
    "optional/ecmascript-regex.json|pattern with non-ASCII digits": "\\p{...} is not supported",
    "optional/ecmascript-regex.json|patterns always use unicode semantics with patternProperties": (
        "\\p{...} is not supported"
    ),
    "optional/ecmascript-regex.json|patternProperties with non-ASCII digits": "\\p{...} is not supported",
}


def cases() -> list[Any]:
    found = []
    for path in sorted(SUITE.rglob("*.json")):
        name = path.relative_to(SUITE).as_posix()
        for group in json.loads(path.read_text(encoding="utf-8")):
            for case in group["tests"]:
                ident = f"{name}|{group['description']}|{case['description']}"
                found.append(pytest.param(name, group, case, id=ident))
    return found


def answer(schema: Any, instance: Any) -> bool | str:
    refused = check_schema(schema, ("config-schema",))
    if refused:
        return "refused: " + refused[0].message
    return not instance_problems(schema, instance, ("config",), "config")


@pytest.mark.parametrize(("name", "group", "case"), cases())
def test_the_suite(name: str, group: dict[str, Any], case: dict[str, Any]) -> None:
    got = answer(group["schema"], case["data"])
    reason = next((why for key, why in DISAGREEMENTS.items() if f"{name}|{group['description']}".startswith(key)), None)
    if reason is not None and got != case["valid"]:
        return  # a listed disagreement
    assert got == case["valid"], reason


def test_the_suite_is_all_there() -> None:
    assert (SUITE.parent / "LICENSE").read_text(encoding="utf-8").startswith("Copyright (c) 2012 Julian Berman")
    assert len(cases()) == 1440
