"""The pytest plugin (entry point `openproton`): a `proton_mock` fixture with fresh state per test.

Loading the plugin imports the botocore hook, so clients that tests create at module level are served too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

import openproton.transports.botocore_hook  # noqa: F401  (registers the before-send handler early)

if TYPE_CHECKING:
    from openproton.transports.mock import ProtonMock


@pytest.fixture
def proton_mock() -> Iterator[ProtonMock]:
    """A started `mock_proton()`: every Proton client in the test is answered in-process."""
    from openproton.transports.mock import ProtonMock

    with ProtonMock() as mock:
        yield mock
