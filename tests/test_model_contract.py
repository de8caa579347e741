"""The model is the contract: the protocol layer is generic, and what it derives covers all 87 operations."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from botocore.model import StructureShape

from openproton import decided
from openproton.coverage import coverage_rows
from openproton.protocol import errors as protocol_errors
from openproton.protocol.model import load_service_model
from openproton.protocol.validator import InputValidator
from openproton.proton import errors as proton_errors
from openproton.proton.provider import ROUTES

ROOT = Path(__file__).resolve().parents[1]


def test_the_protocol_package_imports_nothing_of_the_domain() -> None:
    code = (
        "import sys, openproton.protocol.pipeline, openproton.protocol.validator, openproton.protocol.serializer, "
        "openproton.protocol.identity, openproton.protocol.model\n"
        "bad = [m for m in sys.modules if m.startswith(('openproton.proton', 'openproton.store', "
        "'openproton.transports', 'openproton.service'))]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_model_has_87_operations_and_the_validator_compiles_every_input() -> None:
    model = load_service_model("proton")
    assert len(model.operation_names) == 87
    validator = InputValidator()
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        assert isinstance(shape, StructureShape)
        validator._checker(shape)  # compiles every nested shape, patterns included


def test_every_error_shape_of_the_model_has_one_class() -> None:
    model = load_service_model("proton")
    modelled = {shape.name for shape in model.error_shapes}
    classes = {
        cls.code
        for cls in vars(proton_errors).values()
        if isinstance(cls, type) and issubclass(cls, protocol_errors.AwsError) and cls is not protocol_errors.AwsError
    }
    assert classes == modelled
    assert all(name in protocol_errors.WIRE_STATUS for name in modelled)


def test_implemented_operations_are_operations_of_the_model() -> None:
    model = load_service_model("proton")
    assert set(ROUTES) <= set(model.operation_names)
    rows = dict(coverage_rows())
    assert len(rows) == 87
    assert {name for name, done in rows.items() if done} == set(ROUTES)


def test_the_committed_coverage_file_is_current() -> None:
    from openproton.coverage import coverage_markdown

    assert (ROOT / "COVERAGE.md").read_text() == coverage_markdown(), "regenerate: openproton coverage --markdown"


def test_every_decision_is_in_the_readme_and_named_in_the_code() -> None:
    readme = (ROOT / "README.md").read_text()
    sources = "\n".join(
        path.read_text() for path in (ROOT / "src" / "openproton").rglob("*.py") if path.name != "decided.py"
    )
    for decision in decided.DECISIONS:
        assert f"| {decision.id} | {decision.rule} |" in readme, f"README lacks decision {decision.id}"
        assert re.search(rf"\[decided\][^\n]*\b{re.escape(decision.id)}\b", sources), (
            f"no `[decided] {decision.id}` marks the code that carries it out"
        )
