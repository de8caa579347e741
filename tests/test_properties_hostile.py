"""Properties of hostile input, in-process: bodies nested to any depth anywhere, and over-long or odd header
values, are never a 5xx and change nothing (W-13, W-14)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import event, given, settings
from hypothesis import strategies as st

from openproton.decided import MAX_BODY_DEPTH
from openproton.proton.provider import ROUTES
from support import TARGET_PREFIX, signed_headers
from test_properties import ALL_OPERATIONS, SETTINGS, check_response, fresh_proton, operation, snapshot

DEEP = f"The request body is nested more than {MAX_BODY_DEPTH} levels deep."


def nested_text(depth: int, kinds: list[bool]) -> str:
    """JSON text nested `depth` levels, each level an object (True) or an array (False), cycling `kinds`."""
    opening = "".join('{"m":' if kinds[level % len(kinds)] else "[" for level in range(depth))
    closing = "".join("}" if kinds[level % len(kinds)] else "]" for level in reversed(range(depth)))
    return f"{opening}1{closing}"


@settings(SETTINGS, max_examples=120)
@given(data=st.data())
def test_a_body_nested_to_any_depth_under_any_member_is_never_a_5xx(data: Any) -> None:
    name = data.draw(st.sampled_from(ALL_OPERATIONS), label="operation")
    shape = operation(name).input_shape
    members = list(shape.members) if shape is not None else []
    member = data.draw(st.sampled_from([*members, "unknownMember"]), label="member")
    depth = data.draw(st.one_of(st.integers(1, 80), st.integers(80, 5000)), label="depth")
    kinds = data.draw(st.lists(st.booleans(), min_size=1, max_size=3), label="kinds")
    body = ('{"%s":' % member + nested_text(depth, kinds) + "}").encode()  # noqa: UP031 (raw JSON text)
    with fresh_proton() as proton:
        before = snapshot(proton)
        response = proton.call(name, body)
        after = snapshot(proton)
    error = check_response(name, response)
    event(f"depth {'<=' if depth + 1 <= MAX_BODY_DEPTH else '>'} {MAX_BODY_DEPTH}: {error or 'OK'}")
    if depth + 1 > MAX_BODY_DEPTH:  # the body itself is one level
        assert (response.status, error, response.json()["message"]) == (400, "SerializationException", DEEP)
    if error is not None:
        assert {k: v for k, v in after.items() if k != "audit_log"} == {
            k: v for k, v in before.items() if k != "audit_log"
        }


HEADER_NAMES = [
    "authorization",
    "x-amz-target",
    "content-type",
    "x-amz-date",
    "amz-sdk-request",
    "x-amz-security-token",
]


@settings(SETTINGS, max_examples=120)
@given(data=st.data())
def test_over_long_and_odd_header_values_are_never_a_5xx(data: Any) -> None:
    name = data.draw(st.sampled_from(ALL_OPERATIONS), label="operation")
    headers = signed_headers(TARGET_PREFIX + name)
    header = data.draw(st.sampled_from(HEADER_NAMES), label="header")
    size = data.draw(st.sampled_from([0, 1, 129, 4096, 70_000, 1_000_000]), label="size")
    filler = data.draw(st.sampled_from(["a", "1", ",", "/", "=", " ", "Credential=", "\u00e9"]), label="filler")
    value = (filler * size)[:size]
    if header == "authorization" and data.draw(st.booleans(), label="inside the credential"):
        # A credential whose key or region is the long part.
        value = f"AWS4-HMAC-SHA256 Credential={value}/20261201/us-east-1/proton/aws4_request, Signature=0"
    headers[header] = value
    with fresh_proton() as proton:
        response = proton.raw("POST", "/", headers, orjson.dumps({}))
    assert response.status < 500 or (response.status, name in ROUTES) == (501, False), response.body
    body = response.json()
    assert set(body) == {"__type", "message"} or response.status == 200, body
    event(f"{header}: {response.status}")
