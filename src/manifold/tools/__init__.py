"""What the command line builds on the library: host, describe, doctor, pack (+ writing), verify, scaffold, compose.

Internal: the public names are those of ``manifold``; nothing here is a stable API.
"""
