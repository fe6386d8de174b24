"""Plugin bytecode: a loader that checks cached bytecode against the hash of its source, the plugins' code cache
answering first; and where a package's ``__init__`` bytecode is.

Bytecode of plugin sources is cached as *checked-hash* ``.pyc`` files (PEP 552). The standard loader
trusts a cached ``.pyc`` whose recorded mtime (whole seconds) and size match the source, so an edit
within the same second that keeps the size would bring back the old code on a reload; a pyc checked
against the hash of the source cannot go stale. ``sys.dont_write_bytecode`` is honoured as usual;
``--check-hash-based-pycs never`` is not (plugin pycs are always checked).
"""

from __future__ import annotations

import marshal
import os
import sys
import types
from importlib.machinery import SourceFileLoader
from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from manifold.sources.codecache import CodeCache
    from manifold.sources.scan import Stamp

__all__ = ["HashCheckedLoader", "init_cached"]


_HASH_PYC_FLAGS = (0b01, 0b11)  # hash-based, unchecked or checked (PEP 552)


def _cached_code(data: bytes, digest: bytes, source_path: str) -> tuple[types.CodeType, bytes] | None:
    """The code in a hash-based pyc made from the source with ``digest`` at ``source_path``, and the code as
    the pyc holds it (marshalled); ``None`` if it is not one (a pyc carried along with a moved or copied
    folder names the old path in its code, and in the tracebacks of its code: it is compiled again)."""
    if data[:4] != MAGIC_NUMBER or int.from_bytes(data[4:8], "little") not in _HASH_PYC_FLAGS:
        return None
    if data[8:16] != digest:
        return None
    marshalled = data[16:]
    try:
        code = marshal.loads(marshalled)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(code, types.CodeType) or code.co_filename != source_path:
        return None
    return code, marshalled


class HashCheckedLoader(SourceFileLoader):
    """The standard source loader, except that cached bytecode is checked against the source's hash, and
    that the plugins' code cache (``sources/codecache.py``), when the manager keeps one, answers first."""

    def __init__(
        self, fullname: str, path: str, code_cache: CodeCache | None = None, stamp: Stamp | None = None
    ) -> None:
        super().__init__(fullname, path)
        self.code_cache = code_cache
        self._stamp = stamp
        """The source's stamp, taken as its spec was found: used by the first ``get_code`` only."""

    def get_code(self, fullname: str) -> types.CodeType:
        source_path = self.get_filename(fullname)
        cache, stamp = self.code_cache, self._stamp
        self._stamp = None  # a later call (a tool asking for the code again) takes a stamp of its own
        if cache is not None:
            cached, stamp = cache.code(source_path, stamp)  # the stamp before the source is read
            if cached is not None:
                return cached
        code, marshalled = self._compiled(source_path, keep=cache is not None and stamp is not None)
        if cache is not None and stamp is not None and marshalled is not None:
            cache.store(source_path, stamp, marshalled)
        return code

    def _compiled(self, source_path: str, *, keep: bool) -> tuple[types.CodeType, bytes | None]:
        """The code of ``source_path`` from its checked pyc, else compiled (and its pyc written); and, when
        ``keep`` or a pyc is written, the code marshalled (read from the pyc, or marshalled once for both)."""
        source = self.get_data(source_path)
        digest = source_hash(source)
        try:
            pyc_path: str | None = cache_from_source(source_path)
        except NotImplementedError:  # no cache tag: this interpreter keeps no bytecode
            pyc_path = None
        if pyc_path is not None:
            try:
                cached = _cached_code(self.get_data(pyc_path), digest, source_path)
            except OSError:
                cached = None
            if cached is not None:
                return cached
        code = self.source_to_code(source, source_path)
        if pyc_path is None or sys.dont_write_bytecode:
            return code, marshal.dumps(code) if keep else None
        marshalled = marshal.dumps(code)
        header = MAGIC_NUMBER + (0b11).to_bytes(4, "little") + digest
        self.set_data(pyc_path, header + marshalled)  # quietly skipped if not writable
        return code, marshalled


def _init_pyc() -> str | None:
    """The name of ``__init__.py``'s bytecode in its ``__pycache__`` (the interpreter's tag and optimization
    level decide it, once per process); None when this interpreter keeps no bytecode."""
    try:
        return os.path.basename(cache_from_source("__init__.py"))
    except NotImplementedError:
        return None


_INIT_PYC = _init_pyc()


def init_cached(package: str) -> str | None:
    """``cache_from_source`` of the package's ``__init__.py``, made without it in the usual cases (about
    5 us a package); None: let the spec ask it."""
    if _INIT_PYC is None:
        return None
    prefix = sys.pycache_prefix
    if prefix is None:
        return os.path.join(package, "__pycache__", _INIT_PYC)
    if os.name == "posix" and package.startswith("/"):  # importlib's own join, of an absolute folder
        return "/".join(part.rstrip("/") for part in (prefix, package.lstrip("/"), _INIT_PYC) if part)
    return None
