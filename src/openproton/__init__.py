"""OpenProton: a self-hosted, wire-compatible AWS Proton API server, in-process mock and pytest fixture.

from openproton import mock_proton

with mock_proton():
    boto3.client("proton", region_name="us-east-1").list_environment_account_connections(...)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .server import create_app
    from .settings import Settings
    from .transports.mock import ProtonMock, mock_proton

__all__ = ["ProtonMock", "Settings", "__version__", "create_app", "mock_proton"]

_LAZY = {
    "mock_proton": "openproton.transports.mock",
    "ProtonMock": "openproton.transports.mock",
    "create_app": "openproton.server",
    "Settings": "openproton.settings",
}


def __getattr__(name: str) -> Any:
    # Imported on first use, so `import openproton` (and the pytest plugin) stays cheap.
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'openproton' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
