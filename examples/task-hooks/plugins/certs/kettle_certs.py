"""The default certificate: answers for every server."""

from kettle_tasks import hookimpl


@hookimpl
def get_cert_key_paths(server_url):
    return ("default.crt", "default.key")
