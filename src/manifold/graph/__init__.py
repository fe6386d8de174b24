"""A set of manifests -> findings, gates and a load order.

Internal: the public names are those of ``manifold``; nothing here is a stable API.
"""
