"""The corporate certificate: only for corporate servers."""

from kettle_tasks import hookimpl


@hookimpl
def get_cert_key_paths(server_url):
    return ("corp.crt", "corp.key") if "corp" in server_url else None
