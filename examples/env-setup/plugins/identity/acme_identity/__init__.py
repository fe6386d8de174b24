"""Sets ACME_ACCESS_KEY_ID, ACME_SECRET_ACCESS_KEY and ACME_SESSION_TOKEN from the local provider."""

import os

from acme_identity.provider import issue


class Identity:
    """The plugin object: it gets the credentials when it is activated (in any process that loads it, the
    host's or ``manifold doctor``'s) and returns them from its setup_environment hook, a method of this object."""

    def __init__(self, context):
        self.settings = context.settings  # live: the host's settings, defaults filled in
        self.environment = {}

    def activate(self):
        credentials = issue(self.settings["source-access-key"], role=self.settings["role"], ttl=self.settings["ttl"])
        self.environment = {
            "ACME_ACCESS_KEY_ID": credentials["access_key_id"],
            "ACME_SECRET_ACCESS_KEY": credentials["secret_access_key"],
            "ACME_SESSION_TOKEN": credentials["session_token"],
        }
        os.environ.update(self.environment)

    def setup_environment(self, ctx):
        return dict(self.environment)
