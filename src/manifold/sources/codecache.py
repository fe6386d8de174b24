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
context digest and a checksum of the payload, the size bound and the folder's bounds). The payload is
an index: each source's stamp, and where its code is in the file after it, with the code's own
checksum. A start reads the index, then only the code it imports: one ``pread`` per module for the
first few (a host using 10 plugins of 1,000 reads 10 entries, not the whole file), the rest of the
file in one read once a start imports more. The shape of the index is checked, and each entry's
checksum when it is read; a file that is missing, of another context, damaged or too large is ignored
(damage with one warning in the log) and written again. Like a ``__pycache__`` folder, the
file holds code that runs: it is written with the user's own permissions (0600) in the user's cache
folder, and anyone who can write there can already run code as the user; the digests guard against
damage, not against that user.

Entries are read and unmarshalled one by one when first imported (a start that imports 10 plugins of
1,000 reads and unmarshals 10), and each is let go once imported: a manager holds no copy of the code
it imported.
"""

from __future__ import annotations

import marshal
import os
import struct
import sys
import threading
import types
import zlib
from collections.abc import Sequence
from importlib.util import MAGIC_NUMBER
from pathlib import Path

from manifold._log import logger
from manifold.sources.scan import Stamp, file_stamp
from manifold.sources.sealed import HEADER, DamagedCache, blake2b, read_sealed_head, write_sealed

__all__ = ["CodeCache"]


_FORMAT = 3
_MAGIC = b"MFDCODE\0"

Entry = tuple[Stamp, bytes]
"""(the source's stamp when it was read, its code marshalled)."""

Place = tuple[Stamp, int, int, int]
"""An entry in the file's index: the source's stamp, and its code's offset (after the index), length and CRC-32."""

_PLACE = struct.Struct("<QqqQQQI")
"""A ``Place`` as the index packs it (one record per source, in the order of the index's paths): unpacking
the one asked for costs less than unmarshalling a thousand tuples of large numbers."""

PREAD_FIRST = 16
"""Entries read one by one (``pread``) before the rest of the file is read at once: a start that imports
more plugins than this takes their code from one read."""


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

    The file's index is read on the first lookup, each entry's code when its module is imported, and
    each entry is let go once imported (a manager holds no copy of code it has imported). Safe to use
    from several threads (imports of different plugins may run at once)."""

    def __init__(self, folder: Path, sources: Sequence[str]) -> None:
        self._context = _context()
        named = b"\0".join([self._context, *(s.encode(errors="surrogatepass") for s in sources)])
        self.path = folder / f"code-{blake2b(named, digest_size=12).hexdigest()}.bin"
        self._lock = threading.Lock()
        self._entries: dict[str, int] | None = None  # the file's index: each entry not yet imported, by position
        self._places = b""  # the index's packed places (_PLACE), by position
        self._file: tuple[int, os.stat_result, int] | None = None  # the code's start in the file, its stat, its CRC
        self._code: memoryview | None = None  # the code part of the file, once read whole
        self._whole = False  # its checksum as a whole is right: no entry's own need be checked
        self._reads = 0
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
        found: Stamp | None
        data: bytes | memoryview | None
        with self._lock:  # taken: the module is being imported, and a later import is a reload
            new = self._new.get(source_path)
            position = entries.pop(source_path, None)
            place = None if position is None else _place(self._places, position)
            if new is not None:
                found, data = new
            elif place is not None and place[0] == stamp:
                found, data = stamp, self._data(place)
            else:
                found = data = None
            if not entries:
                self._code = None  # every entry taken: nothing kept beside the imported code
        if found != stamp or data is None:
            return None, stamp
        try:
            code = marshal.loads(data)
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
        (an entry of a file since edited or removed goes). Atomic; failures only logged. The code read from
        the file at once is let go."""
        with self._lock:
            new, self._new = self._new, {}
            self._code = None
        if not new:
            return
        try:
            on_disk = self._read()
        except Exception:  # missing or damaged (said when it was first read): only what is new is written
            on_disk = {}
        kept = {path: entry for path, entry in on_disk.items() if path not in new and file_stamp(path) == entry[0]}
        try:
            index, code = _written({**kept, **new})
            write_sealed(self.path, index, magic=_MAGIC, version=_FORMAT, context=self._context, rest=code)
        except (OSError, ValueError) as e:
            logger.debug("code cache %s not written: %s", self.path, e)

    def _loaded(self) -> dict[str, int]:
        """The file's entries not yet taken, by their position in its index (empty when it is missing or
        damaged; damage is logged once)."""
        entries = self._entries
        if entries is not None:
            return entries
        places, file = b"", None
        try:
            entries, places, file = self._index()
        except FileNotFoundError:
            entries = {}
        except Exception as e:  # damage of any kind: the code is compiled again
            logger.warning("code cache %s ignored (%s); plugin code is compiled again", self.path, e)
            entries = {}
        with self._lock:
            if self._entries is None:
                self._entries, self._places, self._file = entries, places, file
            return self._entries

    def _index(self) -> tuple[dict[str, int], bytes, tuple[int, os.stat_result, int]]:
        """The file's entries by position, their packed places, and where the code starts in the file, the
        file's ``stat`` and the CRC-32 of the code as a whole; raises DamagedCache."""
        payload, status = read_sealed_head(
            self.path, magic=_MAGIC, version=_FORMAT, context=self._context, what="a code cache"
        )
        index = marshal.loads(payload)
        if type(index) is not tuple or len(index) != 3:
            raise DamagedCodeCache("malformed index")
        paths, places, crc = index
        if type(paths) is not tuple or any(type(p) is not str for p in paths) or type(places) is not bytes:
            raise DamagedCodeCache("malformed index")
        if type(crc) is not int:
            raise DamagedCodeCache("malformed index")
        if len(places) != len(paths) * _PLACE.size:
            raise DamagedCodeCache(f"{len(paths)} entries and {len(places)} bytes of places")
        size = status.st_size - HEADER.size - len(payload)
        end = 0
        if paths:  # the code of each entry follows the one before: the last ends with the file
            _, offset, length, _ = _place(places, len(paths) - 1)
            end = offset + length
        if end != size:
            raise DamagedCodeCache(f"its index says {end} bytes of code, it holds {size}")
        entries = dict(zip(paths, range(len(paths)), strict=True))
        return entries, places, (HEADER.size + len(payload), status, crc)

    def _data(self, place: Place) -> bytes | memoryview | None:
        """The code at ``place`` in the file, None when it cannot be read or its checksum is wrong (called
        under the lock)."""
        assert self._file is not None  # an index was read
        start, status, whole_crc = self._file
        _, offset, length, crc = place
        if offset + length > status.st_size - start:
            logger.warning("code cache %s: an entry is damaged; its code is compiled again", self.path)
            return None
        try:
            if self._code is None and (self._reads >= PREAD_FIRST or not hasattr(os, "pread")):
                code = self._read_code(start, status, offset=0, length=status.st_size - start)
                self._code, self._whole = memoryview(code), zlib.crc32(code) == whole_crc
            if self._code is not None:
                data: bytes | memoryview = self._code[offset : offset + length]
            else:
                self._reads += 1
                data = self._read_code(start, status, offset=offset, length=length)
        except OSError:
            return None  # gone or replaced since its index was read: compiled again
        if not (self._whole and self._code is not None) and zlib.crc32(data) != crc:
            logger.warning("code cache %s: an entry is damaged; its code is compiled again", self.path)
            return None
        return data

    def _read_code(self, start: int, status: os.stat_result, *, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset`` in the file's code, from the file whose index was read; OSError
        when the file is no longer that one."""
        fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            now = os.fstat(fd)
            if (now.st_ino, now.st_size, now.st_mtime_ns) != (status.st_ino, status.st_size, status.st_mtime_ns):
                raise OSError(f"{self.path} was replaced")
            if hasattr(os, "pread"):
                data = os.pread(fd, length, start + offset)
            else:  # pragma: no cover - Windows
                os.lseek(fd, start + offset, os.SEEK_SET)
                data = os.read(fd, length)
        finally:
            os.close(fd)
        if len(data) != length:
            raise OSError(f"{self.path} is shorter than its index says")
        return data

    def _read(self) -> dict[str, Entry]:
        """Every entry of the file whose checksum is right, whole (for ``release``); raises DamagedCache."""
        index, places, (start, status, _) = self._index()
        code = self._read_code(start, status, offset=0, length=status.st_size - start)
        entries = {}
        for path, position in index.items():
            stamp, offset, length, crc = _place(places, position)
            data = code[offset : offset + length]
            if len(data) == length and zlib.crc32(data) == crc:
                entries[path] = (stamp, data)
        return entries


def _place(places: bytes, position: int) -> Place:
    size, mtime, ctime, inode, offset, length, crc = _PLACE.unpack_from(places, position * _PLACE.size)
    return (size, mtime, ctime, inode), offset, length, crc


def _written(entries: dict[str, Entry]) -> tuple[bytes, bytes]:
    """The index and the code part of a file holding ``entries`` (one whose stamp the index cannot hold is
    left out: it is compiled again)."""
    paths: list[str] = []
    places: list[bytes] = []
    parts: list[bytes] = []
    offset = 0
    for path, (stamp, data) in entries.items():
        try:
            places.append(_PLACE.pack(*stamp, offset, len(data), zlib.crc32(data)))
        except struct.error:  # a number beyond 64 bits (an inode of some network file systems)
            continue
        paths.append(path)
        parts.append(data)
        offset += len(data)
    code = b"".join(parts)
    return marshal.dumps((tuple(paths), b"".join(places), zlib.crc32(code))), code
