"""The console's pages, one module per family (connections, environments, services, components, templates, audit,
identity), with the shared plumbing in base.py and the routing in router.py."""

from .router import Console

__all__ = ["Console"]
