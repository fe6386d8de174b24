"""A sync setup_environment that names the service after the host's version."""


def setup_environment(ctx):
    return {"OTEL_SERVICE_NAME": f"acme-{ctx.app_version}", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317"}
