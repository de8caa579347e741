"""The property a resource family's tests share: on a database that `prepare` filled with what the family
needs, model-valid and model-invalid calls of its operations never answer 5xx, a failed call changes no row,
and a read never writes.

The strategies are tests/test_properties.py's (built from the model); `hints` steers generated values towards
the resources that exist, so that most calls reach the business rules rather than a not-found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from openproton.proton.audit import is_mutating
from openproton.proton.provider import ROUTES
from support import MGMT_ACCOUNT, OTHER_ACCOUNT, InProcessWorld
from test_properties import SETTINGS, Inputs, check_response, encode, fresh_proton, harvest, operation, snapshot

# Each example builds its family's state first, so fewer examples than the model-wide properties.
FEWER = settings(SETTINGS, max_examples=60)


def check_family(
    prepare: Callable[[InProcessWorld], None], hints: Callable[[], dict[str, list[Any]]], operations: list[str]
) -> Counter[str]:
    """Run the property; returns how many calls failed and how many writes succeeded (each must be > 0)."""
    outcomes: Counter[str] = Counter()
    errors: Counter[str] = Counter()  # for the message when a count is 0
    read_only = {name for name, (_family, _method, write) in ROUTES.items() if not write}

    @FEWER
    @given(data=st.data())
    def run(data: Any) -> None:
        pools = hints()
        with fresh_proton() as world:
            prepare(world)
            if data.draw(st.booleans(), label="manual"):
                world.set_settle_policy("manual")  # deployments stay under way: the busy rules are reached
            inputs = Inputs(pools)
            for _step in range(data.draw(st.integers(1, 12), label="steps")):
                name = data.draw(st.sampled_from(operations), label="operation")
                account = data.draw(st.sampled_from((MGMT_ACCOUNT, MGMT_ACCOUNT, OTHER_ACCOUNT)), label="account")
                shape = operation(name).input_shape
                broken = inputs.invalid_input(shape)  # None: nothing in the shape to break
                if broken is None or data.draw(st.integers(0, 4), label="mode") < 4:
                    body = data.draw(inputs.valid(shape), label="valid body")
                else:
                    body = data.draw(broken, label="invalid body").value
                before = snapshot(world)
                response = world.call(name, encode(body), account=account)
                error = check_response(name, response)
                assert response.status < 500, response.body
                event(f"{name}: {error or 'OK'}")
                after = snapshot(world)
                if error is not None:
                    assert after == before, f"{name} failed with {error} but changed the database"
                    outcomes["failed"] += 1
                    errors[f"{name}: {error}"] += 1
                    continue
                if harvest(response.json(), pools):
                    inputs = Inputs(pools)
                if name in read_only:
                    # A read may store an ending it sees only in a writing call; reads never write.
                    assert after == before, f"{name} only reads, yet changed the database"
                elif is_mutating(name):
                    outcomes["write succeeded"] += 1

    run()
    assert outcomes["write succeeded"] > 0, (outcomes, errors.most_common(20))
    assert outcomes["failed"] > 0, outcomes
    return outcomes
