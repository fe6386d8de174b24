"""A hook implementation's parameters are read from a plain function's code, as ``inspect.signature`` reads them.

``inspect`` is left for everything else (wrapped functions, partials, builtins, callable objects), so that
calling a hook imports neither it nor what it imports.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import WritePlugin

from manifold.hooks._impl import _plain, _read

NAMES = ("app", "config", "items", "extra", "rest", "more")


@st.composite
def functions(draw: st.DrawFn) -> Any:
    names = list(draw(st.permutations(NAMES)))
    posonly = [names.pop() for _ in range(draw(st.integers(0, 2)))]
    regular = [names.pop() for _ in range(draw(st.integers(0, 2)))]
    kwonly = [names.pop() for _ in range(draw(st.integers(0, 1)))]
    positional = posonly + regular
    with_defaults = draw(st.integers(0, len(positional)))
    parts = []
    for i, name in enumerate(positional):
        parts.append(f"{name}=None" if i >= len(positional) - with_defaults else name)
        if posonly and i == len(posonly) - 1:
            parts.append("/")
    varargs = draw(st.booleans()) and names
    if varargs:
        parts.append(f"*{names.pop()}")
    elif kwonly:
        parts.append("*")
    parts += [f"{name}=1" if draw(st.booleans()) else name for name in kwonly]
    if draw(st.booleans()) and names:
        parts.append(f"**{names.pop()}")
    kind = draw(st.sampled_from(["def", "generator", "async def"]))
    body = "    yield" if kind == "generator" else "    return None"
    source = f"{'async def' if kind == 'async def' else 'def'} f({', '.join(parts)}):\n{body}\n"
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    function = namespace["f"]
    if draw(st.booleans()):  # bound to an object, as a plugin's method is

        class Owner:
            pass

        Owner.method = function  # type: ignore[attr-defined]
        return Owner().method  # type: ignore[attr-defined]
    return function


@given(functions())
def test_a_plain_function_is_read_as_inspect_reads_it(function: Any) -> None:
    read = _plain(function)
    if read is None:  # only a method whose first parameter is not the object (``*args``) is left to inspect
        assert hasattr(function, "__func__")
        assert function.__func__.__code__.co_argcount == 0
        return
    assert read == _read(function)


def test_what_is_not_a_plain_function_is_left_to_inspect() -> None:
    def f(app: Any) -> None: ...

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> None: ...

    assert _plain(wrapped) is None
    assert _read(wrapped)[0] == [("app", 1, False)]  # inspect follows __wrapped__
    assert _plain(functools.partial(f, 1)) is None
    assert _plain(len) is None
    assert _plain(type("Callable", (), {"__call__": lambda self, app: None})()) is None


def test_calling_a_hook_of_plain_functions_imports_neither_inspect_nor_dataclasses(
    plugins: Path, write_plugin: WritePlugin, tmp_path: Path
) -> None:
    write_plugin(
        "greeter",
        """
        [plugin]
        id = "acme.greeter"
        version = "1.0"
        packages = ["acme_greeter"]

        [[extensions]]
        point = "acme.greet"
        ref = "acme_greeter:greet"
        """,
        files={"acme_greeter/__init__.py": "def greet(name, *, loud=False):\n    return 'hello ' + name\n"},
    )
    code = (
        "import sys\n"
        "from manifold import Manager\n"
        f"manager = Manager([{str(plugins)!r}], environ={{}}, cache_dir={str(tmp_path / 'cache')!r})\n"
        "manager.add_point('acme.greet', hook=True, parameters=['name'])\n"
        "print(manager.hook('acme.greet')(name='you'))\n"
        "print(sorted(m for m in ('inspect', 'dataclasses', 'ast', 'dis') if m in sys.modules))\n"
    )
    for start in ("cold", "warm"):  # a warm start reads no manifest: what it imports is the hook's doing
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (0, ""), start
    assert done.stdout == "['hello you']\n[]\n"
