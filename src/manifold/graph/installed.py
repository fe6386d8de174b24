"""The installed version of a distribution: ``importlib.metadata.version``'s answer, without importing it.

Gating asks for it once per ``requires = ["packaging>=23.2"]`` name. Importing ``importlib.metadata`` costs
tens of ms (it pulls in ``email``, ``zipfile``, ``csv``, ``pathlib``...), more than the lookup itself, so in the
ordinary case this module repeats its search with ``os`` and ``re`` alone: only the standard ``PathFinder``
finds distributions, every ``sys.path`` entry is a folder or missing, and the first match is a metadata folder
whose ``METADATA`` (or ``PKG-INFO``) has a one-line ``Version`` header. In any other case (a zip on
``sys.path``, another distribution finder, an ``.egg-info`` file, unreadable metadata, no ``Version``...) it
asks ``importlib.metadata`` itself, so the answer is always the same as ``importlib.metadata.version``'s.

One difference, the same on every Python: a distribution found without a ``Version`` header is None, and no
warning. ``importlib.metadata.version`` answers None there too, silently on 3.11, with a ``DeprecationWarning``
("Implicit None on return values is deprecated and will raise KeyErrors.") on 3.12 and 3.13; the warning is
about ``importlib.metadata``'s future, not about the host's code, and under ``-W error`` it would stop gating.

The search mirrors CPython 3.11-3.13: ``Distribution.discover``, ``MetadataPathFinder``, ``FastPath``,
``Lookup``, ``Prepared`` and the ``email`` parser's compat32 header rules. Unlike ``FastPath`` it keeps no
cache, so it reads what is on disk now (``FastPath`` may answer from a listing cached under an unchanged mtime).
"""

from __future__ import annotations

import os
import re
import sys
from importlib.machinery import PathFinder

__all__ = ["installed_version"]

_SEPARATORS = re.compile(r"[-_.]+")
_FIELD_NAME = re.compile(r"[\041-\071\073-\176]*:")  # email.feedparser.headerRE, its field branch


class _Unsure(Exception):
    """The fast path cannot promise ``importlib.metadata``'s answer here."""


def installed_version(name: str) -> str | None:
    """The ``Version`` of the distribution ``importlib.metadata.version(name)`` finds, or None if none is found.

    Other errors are ``importlib.metadata``'s own (``ValueError`` for an empty name).
    """
    try:
        return _fast_version(name)
    except _Unsure:
        return _importlib_version(name)


def _importlib_version(name: str) -> str | None:
    """``importlib.metadata.version(name)``; None for no distribution, and for one without ``Version``."""
    import importlib.metadata  # deferred: its import is the cost this module exists to avoid

    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    if type(distribution).version is not importlib.metadata.Distribution.version:
        return distribution.version  # a finder's own Distribution: its own answer
    # Distribution.version is metadata["Version"], which warns (3.12, 3.13) when the header is absent
    metadata = distribution.metadata
    return metadata["Version"] if "Version" in metadata else None  # noqa: SIM401 (no get before 3.12)


def _fast_version(name: str) -> str | None:
    if not name or not _only_path_finder():
        raise _Unsure
    folder = _first_metadata_folder(name)
    return None if folder is None else _version_header(_metadata_text(folder))


def _only_path_finder() -> bool:
    """Whether ``Distribution.discover`` would ask the standard ``PathFinder`` alone (and it is unpatched)."""
    finders = [finder for finder in sys.meta_path if getattr(finder, "find_distributions", None)]
    return (
        bool(finders)
        and all(finder is PathFinder for finder in finders)
        and getattr(PathFinder.find_distributions, "__module__", None) == PathFinder.__module__
    )


def _normalize(name: str) -> str:  # Prepared.normalize
    return _SEPARATORS.sub("-", name).lower().replace("-", "_")


def _legacy_normalize(name: str) -> str:  # Prepared.legacy_normalize
    return name.lower().replace("-", "_")


def _stem(filename: str) -> str:
    """The distribution name ``Lookup`` reads in a file name: before the last ``.``, then before the first ``-``."""
    return filename.rpartition(".")[0].partition("-")[0]


def _first_metadata_folder(name: str) -> str | None:
    """The first metadata folder on ``sys.path`` that ``MetadataPathFinder`` would match to ``name``.

    Per entry, in ``os.listdir`` order: ``*.dist-info`` and ``*.egg-info`` children whose stem before the first
    ``-`` normalizes to ``name``'s form, then, for an entry named ``<name>-*.egg``, its ``EGG-INFO`` child.
    """
    wanted = _normalize(name)
    wanted_egg = _legacy_normalize(name)
    for root in sys.path:
        if not isinstance(root, str):
            raise _Unsure
        try:
            children = os.listdir(root or ".")
        except FileNotFoundError:
            continue  # no folder and no zip file: FastPath finds no children
        except (OSError, ValueError):
            raise _Unsure from None  # a file (a zip?), an unreadable folder, a malformed path
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")) and _normalize(_stem(low)) == wanted:
                return os.path.join(root, child)
        base = os.path.basename(root).lower()
        if base.endswith(".egg") and _legacy_normalize(_stem(base)) == wanted_egg:
            for child in children:
                if child.lower() == "egg-info":
                    return os.path.join(root, child)
    return None


def _metadata_text(folder: str) -> str:
    """``METADATA``, else ``PKG-INFO``: the first that is not empty, as ``Distribution.metadata`` reads them."""
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, filename), encoding="utf-8") as stream:
                text = stream.read()  # universal newlines, as pathlib's read_text
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            raise _Unsure from None  # an .egg-info file, unreadable or not UTF-8
        if text:
            return text
    raise _Unsure  # importlib.metadata then reads the folder itself as the text (None in 3.11)


def _version_header(text: str) -> str:
    """The first ``Version`` header of ``text``, as ``email``'s compat32 parser stores it.

    The header block ends at the first line that is not a field, a continuation (leading space or tab) or a
    Unix ``From `` line (never a field itself): an empty line, or the first line of a body without one.
    """
    lines = text.split("\n")  # the universal-newline read left no "\r"
    for index, line in enumerate(lines):
        if line.startswith((" ", "\t", "From ")):
            continue  # the continuation of another field, or not a field
        field = _FIELD_NAME.match(line)
        if field is None:
            break
        if field.group()[:-1].lower() != "version":
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if following.startswith((" ", "\t")):
            raise _Unsure  # a folded Version: email joins and re-indents the lines
        return line[field.end() :].lstrip(" \t")
    raise _Unsure  # no Version header: importlib.metadata answers None (3.11) or warns (3.12+)
