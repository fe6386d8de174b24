"""What the command line and tools build on the library: describe, doctor, pack, scaffold, compose.

Internal: the public names are those of ``manifold``; nothing here is a stable API.
"""
