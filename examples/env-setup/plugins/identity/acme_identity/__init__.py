"""Sets ACME_ACCESS_KEY_ID, ACME_SECRET_ACCESS_KEY and ACME_SESSION_TOKEN from the local provider."""

from acme_identity.provider import issue


class SetupEnvironment:
    """The hook implementation: built once, with the plugin's context (its settings)."""

    def __init__(self, context):
        self.settings = context.settings

    def __call__(self, ctx):
        credentials = issue(self.settings["source-access-key"], role=self.settings["role"], ttl=self.settings["ttl"])
        return {
            "ACME_ACCESS_KEY_ID": credentials["access_key_id"],
            "ACME_SECRET_ACCESS_KEY": credentials["secret_access_key"],
            "ACME_SESSION_TOKEN": credentials["session_token"],
        }
