"""A host's plugins at run time: records, activation, extensions, the timed runner, the plugin's context.

Internal: the public names are those of ``manifold``; nothing here is a stable API.
"""
