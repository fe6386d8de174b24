def setup_environment(ctx):
    return {"ACME_FEATURES": "all"}
