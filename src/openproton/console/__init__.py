"""The web console at /console: server-rendered pages that act through the same pipeline as the API."""

PREFIX = "/console"
