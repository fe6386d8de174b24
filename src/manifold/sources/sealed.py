"""Sealed cache files: a payload behind a header that says what wrote it, for which context, and its checksum.

The header is a magic word, the format, the payload's length, a digest of the context the payload
depends on, and a CRC-32 of the payload; it is checked before a byte of the payload is used. The
checksum is there to catch damage (a file cut short, a flipped bit), not a forger (the owner who can
write the file can write any checksum): CRC-32 catches that as BLAKE2b would, five times faster
(2 ms for the 1.7 MB code cache of 1,000 plugins with BLAKE2b here, 0.4 ms with CRC-32). Files are
written atomically, readable by their owner only, and the cache folder is kept within a count and a
size (the least recently written files go first). The manifest cache
(``manifold.sources.cache``), the code cache (``manifold.sources.codecache``) and the snapshot of a
resolved start (``manifold.lifecycle.snapshot``) are such files, side by side in one folder.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

from manifold._files import write_atomic
from manifold._log import logger

try:  # hashlib's own import loads OpenSSL (~6 ms); the built-in BLAKE2 module costs nothing
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without it
    from hashlib import blake2b

__all__ = [
    "HEADER",
    "MAX_CACHE_FILES",
    "MAX_CACHE_FOLDER_SIZE",
    "MAX_CACHE_SIZE",
    "PATTERNS",
    "DamagedCache",
    "OtherContext",
    "blake2b",
    "checksum",
    "evict",
    "read_sealed",
    "read_sealed_head",
    "write_sealed",
]


HEADER = struct.Struct(">8sIQ16sI")  # magic, format, payload length, context digest, payload checksum
MAX_CACHE_SIZE = 256 << 20
"""A cache file larger than this (in bytes) is neither read nor written."""
MAX_CACHE_FILES = 32
"""Cache files kept in one folder (one per set of sources, interpreter and limits); the least recently
written go first when there are more, or when together they pass ``MAX_CACHE_FOLDER_SIZE``."""
MAX_CACHE_FOLDER_SIZE = 256 << 20
PATTERNS = ("manifests-*.bin", "code-*.bin", "snapshot-*.bin")
"""The names of the sealed files of a cache folder: what the bounds count."""


class DamagedCache(ValueError):
    """The cache file is not one this code wrote, whole: ignored, with a warning."""


class OtherContext(DamagedCache):
    """The cache file was written for another context than the reader's."""


def read_sealed(
    path: Path | str, *, magic: bytes, version: int, context: bytes, what: str, max_size: int = MAX_CACHE_SIZE
) -> bytes:
    """The payload of the sealed file at ``path``; raises DamagedCache saying what is wrong with it
    (``what`` names the kind of file: "a manifest cache"), OtherContext when it was written for
    another context, and OSError when it cannot be read."""
    with open(path, "rb") as file:
        payload, rest, _ = _read_head(file, magic, version, context, what, max_size)
    if rest:
        raise DamagedCache(f"its header says {len(payload)} bytes of entries, the file holds {len(payload) + rest}")
    return payload


def read_sealed_head(
    path: Path | str, *, magic: bytes, version: int, context: bytes, what: str, max_size: int = MAX_CACHE_SIZE
) -> tuple[bytes, os.stat_result]:
    """The payload of a sealed file followed by data the header does not cover (written with ``write_sealed``'s
    ``rest``), and the file's ``stat``; the rest starts at ``HEADER.size + len(payload)``. Raises as
    ``read_sealed``."""
    with open(path, "rb") as file:
        payload, _, status = _read_head(file, magic, version, context, what, max_size)
    return payload, status


def _read_head(
    file: BinaryIO, magic: bytes, version: int, context: bytes, what: str, max_size: int
) -> tuple[bytes, int, os.stat_result]:
    """The checked payload, the count of bytes after it, and the file's ``stat``."""
    status = os.fstat(file.fileno())
    size = status.st_size
    if size > max_size:
        raise DamagedCache(f"{size} bytes, more than the limit of {max_size}")
    header = file.read(HEADER.size)
    if len(header) < HEADER.size:
        raise DamagedCache("shorter than its header")
    found_magic, found_version, length, found_context, digest = HEADER.unpack(header)
    if found_magic != magic or found_version != version:
        raise DamagedCache(f"not {what} of this format")
    if length > size - HEADER.size:
        raise DamagedCache(f"its header says {length} bytes of entries, the file holds {size - HEADER.size}")
    if found_context != context:
        raise OtherContext("written for another context")
    payload = file.read(length)  # marshal.load(file) reads in tiny pieces: 8x slower
    if len(payload) != length or checksum(payload) != digest:
        raise DamagedCache("its checksum does not match its entries")
    return payload, size - HEADER.size - length, status


def checksum(payload: bytes) -> int:
    """The payload's CRC-32, as the header holds it."""
    return zlib.crc32(payload)


def write_sealed(
    path: Path,
    payload: bytes,
    *,
    magic: bytes,
    version: int,
    context: bytes,
    max_size: int = MAX_CACHE_SIZE,
    rest: bytes = b"",
) -> None:
    """Write ``payload`` behind its header, then ``rest`` (data the header's checksum does not cover, which
    ``read_sealed_head`` leaves to its reader to check), atomically and for its owner only, then keep the
    folder in its bounds. Raises ValueError when it is too large, OSError when it cannot be written."""
    if len(payload) + len(rest) + HEADER.size > max_size:
        raise ValueError(f"{len(payload) + len(rest)} bytes of entries, more than the limit of {max_size}")
    header = HEADER.pack(magic, version, len(payload), context, checksum(payload))
    write_atomic(path, b"".join((header, payload, rest)), parents=True, mode=0o600)  # the user's own cache
    evict(path)


def evict(kept: Path) -> None:
    """Remove the least recently written sealed files of ``kept``'s folder beyond the count and size bounds."""
    found = []
    for pattern in PATTERNS:
        for path in kept.parent.glob(pattern):
            try:
                status = path.stat()
            except OSError:
                continue
            found.append((status.st_mtime_ns, status.st_size, path))
    found.sort(reverse=True)  # the newest first: they stay
    total = 0
    for count, (_, size, path) in enumerate(found, 1):
        total += size
        if path != kept and (count > MAX_CACHE_FILES or total > MAX_CACHE_FOLDER_SIZE):
            try:
                path.unlink()
            except OSError as e:
                logger.debug("cache file %s not removed: %s", path, e)
