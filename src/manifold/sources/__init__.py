"""Where manifests come from: folders, ``pkg://`` packages, bundles, archives (read side), the cache, the fork pool.

Internal: the public names are those of ``manifold``; nothing here is a stable API.
"""
