from . import pluggy_hooks  # the bridge registers this module (ref = "kettle_counter:pluggy_hooks")
