"""The validator compiles its checkers on first use, from whichever request threads arrive first (a server runs
requests on a thread pool): threads that need one shape at once all get a working checker."""

from __future__ import annotations

import sys
import threading

from openproton.protocol.model import load_service_model
from openproton.protocol.validator import InputValidator

MODEL = load_service_model("proton")
BODY = {
    "name": "shop",
    "templateName": "web",
    "templateMajorVersion": "1",
    "spec": "proton: ServiceSpec\n",
    "tags": [{"key": "team", "value": "a"}],
}


def test_threads_validating_a_shape_no_one_has_compiled_yet_all_get_its_checker() -> None:
    shape = MODEL.operation_model("CreateService").input_shape
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can, so compiles interleave
    try:
        for _ in range(30):  # a fresh validator each time: the first use races
            _race(InputValidator(), shape)
    finally:
        sys.setswitchinterval(switch)


def _race(validator: InputValidator, shape: object) -> None:
    barrier = threading.Barrier(8)
    results: list[object] = []

    def validate() -> None:
        barrier.wait()
        try:
            results.append(validator.check(shape, BODY))  # type: ignore[arg-type]
        except RecursionError as error:  # what a half-built cache did
            results.append(error)

    threads = [threading.Thread(target=validate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [BODY] * 8
