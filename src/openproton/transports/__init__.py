"""Ways in: the ASGI server (server mode) and the botocore hook (in-process mode), plus admin endpoints."""
