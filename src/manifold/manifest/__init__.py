"""One manifest file -> a ``Manifest`` value or placed diagnostics: data only, importing nothing above it.

Internal: the public names are those of ``manifold``; nothing here is a stable API.
"""
