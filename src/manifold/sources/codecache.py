"""A persistent cache of plugins' compiled code, so a warm start imports plugin code from one file.

Importing a module the standard way costs a search, a ``stat`` of the source, an open and a read of
its bytecode file (and, for plugin code, which manifold checks against the hash of its source, a
read of the source too): most of the time a warm start spends importing plugins. This cache keeps
the compiled code of every plugin module imported from a folder on disk, in one file per set of
sources in the manifest cache's folder; a warm import then costs one ``stat`` of the source.

An entry is keyed by the source file's path and its stamp (size, ``mtime_ns``, ``ctime_ns``, inode),
taken before the source is read: editing or replacing a source file invalidates exactly its entry,
even when its size and modification time are put back. The file's context (manifold's version, the
interpreter and its bytecode magic number, the optimisation level) is part of its name and header.

The file is sealed as the manifest cache is (``sources/sealed.py``: magic word, format, length,
context digest and a BLAKE2b digest of the payload, the size bound and the folder's bounds), and the
shape of every entry is checked; a file that is missing, of another context, damaged or too large is
ignored (damage with one warning in the log) and written again. Like a ``__pycache__`` folder, the
file holds code that runs: it is written with the user's own permissions (0600) in the user's cache
folder, and anyone who can write there can already run code as the user; the digests guard against
damage, not against that user.

Entries are unmarshalled one by one when first imported (a start that imports 10 plugins of 1,000
unmarshals 10), and each is let go once imported: a manager holds no copy of the code it imported.
"""

from __future__ import annotations

import marshal
import sys
import threading
import types
from collections.abc import Sequence
from importlib.util import MAGIC_NUMBER
from pathlib import Path

from manifold._log import logger
from manifold.sources.scan import Stamp, file_stamp
from manifold.sources.sealed import DamagedCache, blake2b, read_sealed, write_sealed

__all__ = ["CodeCache"]


_FORMAT = 2
_MAGIC = b"MFDCODE\0"

Entry = tuple[Stamp, bytes]
"""(the source's stamp when it was read, its code marshalled)."""


class DamagedCodeCache(DamagedCache):
    """The file is not one this code wrote, whole: ignored, with a warning."""


def _context() -> bytes:
    from manifold import __version__

    text = "\0".join(
        [
            f"manifold {__version__} code format {_FORMAT} marshal {marshal.version}",
            f"{sys.implementation.cache_tag} {sys.version} {sys.executable} magic {MAGIC_NUMBER.hex()}",
            f"optimize {sys.flags.optimize}",
        ]
    )
    return blake2b(text.encode(errors="surrogatepass"), digest_size=16).digest()


class CodeCache:
    """The compiled code of the plugin modules of one source set: ``code(path)`` answers from the
    file where the source is unchanged, ``store`` keeps what was compiled, ``release`` writes it.

    The file is read on the first lookup, and each entry is let go once its module is imported (a
    manager holds no copy of code it has imported). Safe to use from several threads (imports of
    different plugins may run at once)."""

    def __init__(self, folder: Path, sources: Sequence[str]) -> None:
        self._context = _context()
        named = b"\0".join([self._context, *(s.encode(errors="surrogatepass") for s in sources)])
        self.path = folder / f"code-{blake2b(named, digest_size=12).hexdigest()}.bin"
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] | None = None  # the file's not yet imported, read on first use
        self._new: dict[str, Entry] = {}  # compiled since the file was last written
        self.hits = self.misses = 0

    def code(self, source_path: str, stamp: Stamp | None = None) -> tuple[types.CodeType | None, Stamp | None]:
        """The cached code of ``source_path`` if its stamp is unchanged (else None), and its stamp now
        (None: not a file on disk; such a source is never cached). ``stamp``: the source's stamp if the
        caller has just taken it (before reading the source); otherwise it is taken here."""
        if stamp is None:
            stamp = file_stamp(source_path)
        if stamp is None:
            return None, None
        entries = self._loaded()
        with self._lock:  # taken: the module is being imported, and a later import is a reload
            entry = self._new.get(source_path) or entries.pop(source_path, None)
        if entry is None or entry[0] != stamp:
            return None, stamp
        try:
            code = marshal.loads(entry[1])
        except (EOFError, ValueError, TypeError):
            code = None
        if type(code) is not types.CodeType or code.co_filename != source_path:
            return None, stamp  # damaged: compiled again, and the entry replaced
        self.hits += 1
        return code, stamp

    def store(self, source_path: str, stamp: Stamp, data: bytes) -> None:
        """Keep ``data``, the code compiled from ``source_path`` as it was at ``stamp``, marshalled (as a pyc
        holds it), for ``release``."""
        with self._lock:
            self._new[source_path] = (stamp, data)
            self.misses += 1

    def release(self) -> None:
        """Write what was compiled since the last write, with the file's entries whose sources are unchanged
        (an entry of a file since edited or removed goes). Atomic; failures only logged."""
        with self._lock:
            new, self._new = self._new, {}
        if not new:
            return
        try:
            on_disk = self._read()
        except Exception:  # missing or damaged (said when it was first read): only what is new is written
            on_disk = {}
        kept = {path: entry for path, entry in on_disk.items() if path not in new and file_stamp(path) == entry[0]}
        try:
            payload = marshal.dumps({**kept, **new})
            write_sealed(self.path, payload, magic=_MAGIC, version=_FORMAT, context=self._context)
        except (OSError, ValueError) as e:
            logger.debug("code cache %s not written: %s", self.path, e)

    def _loaded(self) -> dict[str, Entry]:
        """The file's entries not yet taken (empty when it is missing or damaged; damage is logged once)."""
        entries = self._entries
        if entries is not None:
            return entries
        try:
            entries = self._read()
        except FileNotFoundError:
            entries = {}
        except Exception as e:  # damage of any kind: the code is compiled again
            logger.warning("code cache %s ignored (%s); plugin code is compiled again", self.path, e)
            entries = {}
        with self._lock:
            if self._entries is None:
                self._entries = entries
            return self._entries

    def _read(self) -> dict[str, Entry]:
        payload = read_sealed(
            self.path,
            magic=_MAGIC,
            version=_FORMAT,
            context=self._context,
            what="a code cache",
        )
        entries = marshal.loads(payload)
        if type(entries) is not dict or not all(_is_entry(key, entry) for key, entry in entries.items()):
            raise DamagedCodeCache("malformed entries")
        return entries


def _is_entry(key: object, entry: object) -> bool:
    if type(key) is not str or type(entry) is not tuple or len(entry) != 2:
        return False
    stamp, data = entry
    return type(stamp) is tuple and len(stamp) == 4 and all(type(n) is int for n in stamp) and type(data) is bytes
