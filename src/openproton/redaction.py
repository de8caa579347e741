"""URLs shown without their user information ([decided] P-21): a git remote's credentials never leave the map."""

from __future__ import annotations

import re

_USER_INFO = re.compile(r"^(?P<scheme>[A-Za-z][\w+.-]*://)[^/@]*@")


def redact(url: str) -> str:
    """`https://user:token@host/x` is shown as `https://***@host/x`."""
    return _USER_INFO.sub(r"\g<scheme>***@", url, count=1)
