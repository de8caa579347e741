"""Rendering CloudFormation folders (P-1, P-2, P-25): goldens per target type, hostile templates, limits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bundles.namespaces import COMPONENT_NS, ENVIRONMENT_NS, INSTANCE_NS, NO_COMPONENT_NS, PIPELINE_NS
from openproton.bundles import render
from openproton.bundles.model import (
    CLOUDFORMATION,
    COMPONENT,
    ENVIRONMENT,
    INSTANCE_FOLDER,
    PIPELINE,
    SERVICE_INSTANCE,
    BundleInvalid,
    Folder,
    RenderError,
    RenderTarget,
)
from openproton.bundles.render import check_jinja, render_folder

GOLDEN = Path(__file__).parent / "golden"
ARN = "arn:aws:proton:us-east-1:123456789012:service/svc/service-instance/inst"


def folder(text: str, path: str = "cloudformation.yaml") -> Folder:
    return Folder(INSTANCE_FOLDER, CLOUDFORMATION, {path: text.encode()}, (path,))


def rendered(text: str, namespaces: dict | None = None, *, timeout: float = 5.0, type_: str = SERVICE_INSTANCE) -> str:
    target = RenderTarget(type_, ARN, namespaces if namespaces is not None else NO_COMPONENT_NS)
    (result,) = render_folder(folder(text), target, timeout_seconds=timeout)
    return result.content


def failure(text: str, namespaces: dict | None = None, *, timeout: float = 5.0) -> str:
    with pytest.raises(RenderError) as caught:
        rendered(text, namespaces, timeout=timeout)
    return caught.value.message


@pytest.mark.parametrize(
    ("name", "type_", "namespaces"),
    [
        ("cfn-environment", ENVIRONMENT, ENVIRONMENT_NS),
        ("cfn-service-instance", SERVICE_INSTANCE, INSTANCE_NS),
        ("cfn-service-instance-no-component", SERVICE_INSTANCE, NO_COMPONENT_NS),
        ("cfn-pipeline", PIPELINE, PIPELINE_NS),
        ("cfn-component", COMPONENT, COMPONENT_NS),
    ],
)
def test_golden(name: str, type_: str, namespaces: dict) -> None:
    source = (GOLDEN / f"{name}.in.yaml").read_text()
    expected = (GOLDEN / f"{name}.out.yaml").read_text()
    assert rendered(source, namespaces, type_=type_) == expected


def test_files_keep_their_paths_and_order() -> None:
    files = {"b.yaml": b"B {{ environment.name }}", "a.yaml": b"A"}
    result = render_folder(
        Folder("infrastructure", CLOUDFORMATION, files, ("b.yaml", "a.yaml")),
        RenderTarget(ENVIRONMENT, ARN, ENVIRONMENT_NS),
    )
    assert [(f.path, f.content) for f in result] == [("b.yaml", "B dev"), ("a.yaml", "A")]


def test_printing_values() -> None:
    text = "{{ 80 }} {{ 0.5 }} {{ true }} {{ none }} {{ [1, 'x'] }} {{ {'b': 1, 'a': [true]} }} {{ 'é' }}"
    assert rendered(text) == '80 0.5 true null [1,"x"] {"b":1,"a":[true]} é'


def test_trailing_newline_kept_and_no_autoescape() -> None:
    assert rendered("<{{ '&' }}>\n") == "<&>\n"


def test_component_defaults_without_component() -> None:
    base = "service_instance.components.default"
    assert rendered(f"{{{{ {base} }}}} {{{{ {base}.outputs }}}} {{{{ {base}.outputs | length }}}}") == "{} {} 0"
    assert rendered(f"{{{{ {base}.outputs.x | default('none') }}}}") == "none"
    assert rendered(f"{{{{ {base}.outputs.x is defined }}}}") == "false"
    assert "has no attribute 'x'" in failure(f"{{{{ {base}.outputs.x }}}}")


def test_undefined_fails_with_its_line() -> None:
    assert failure("a\nb\n{{ environment.nope }}") == (
        f"Template rendering failed: {INSTANCE_FOLDER}/cloudformation.yaml line 3: "
        "'dict object' has no attribute 'nope'"
    )


def test_syntax_error_line() -> None:
    message = failure("ok\nok\n{% if %}\n")
    assert message.startswith(f"Template rendering failed: {INSTANCE_FOLDER}/cloudformation.yaml line 3: ")


def test_unknown_filter_is_a_render_error() -> None:
    assert "line 2: No filter named 'nope'" in failure("\n{{ 1 | nope }}")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{{ ''.__class__ }}", "unsafe"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
        ("{{ x._y }}", "undefined"),
        ("{{ environment._private }}", "no attribute"),
        ("{% include 'x' %}", "no loader"),
        ("{% import 'x' as y %}", "no loader"),
        ("{% extends 'x' %}", "no loader"),
        ("{% for i in range(10**9) %}{% endfor %}", "Range too big"),
        ("{{ 'x' * 10**9 }}", "larger than 1 MiB"),
        ("{{ 10**9 * 'x' }}", "larger than 1 MiB"),
        ("{{ [1] * 10**9 }}", "too many items"),
        ("{{ 2 ** 100000000 }}", "number is too large"),
        ("{{ '%*d' % (10**9, 1) }}", "width"),
        ("{{ '%999999999d' % 1 }}", "larger than 1 MiB"),
        ("{{ '{:>999999999}'.format(1) }}", "larger than 1 MiB"),
        ("{{ 'x'.ljust(10**9) }}", "larger than 1 MiB"),
        ("{{ 'x' | center(10**9) }}", "larger than 1 MiB"),
        ("{{ ('x' * 1000000) | replace('x', 'yy') }}", "larger than 1 MiB"),
        ("{{ (['x' * 1000000] * 1000) | join }}", "larger than 1 MiB"),
        ("{{ ['x' * 1000000] * 1000 }}", "larger than 1 MiB"),
        ("{{ (['x' * 1000000] * 1000) | tojson }}", "larger than 1 MiB"),
        ("{{ [[1]] | sum(start=[]) }}", "numbers only"),
        ("{{ lipsum(10**9) }}", "undefined"),
        ("{{ 1 / 0 }}", "division by zero"),
        ("{{ 'a' + 1 }}", "can only concatenate"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recursion"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "larger than 1 MiB",
        ),
        ("{% set l = [1] %}{% for i in range(64) %}{{ l.extend(l) }}{% endfor %}", "items"),
    ],
)
def test_hostile_templates_fail_fast(text: str, needle: str) -> None:
    started = time.monotonic()
    message = failure(text)
    assert message.startswith(f"Template rendering failed: {INSTANCE_FOLDER}/cloudformation.yaml line 1: ")
    assert needle in message
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "text",
    [
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{% set l = range(100000) | list %}{% for a in l %}{% for b in l %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    ],
)
def test_runaway_templates_time_out(text: str) -> None:
    started = time.monotonic()
    assert failure(text, timeout=0.5) == "Rendering took longer than 0.5 seconds"
    assert time.monotonic() - started < 1.5


def test_timeout_message_uses_the_number_as_given() -> None:
    text = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    target = RenderTarget(SERVICE_INSTANCE, ARN, NO_COMPONENT_NS)
    files = {"a.yaml": b"fine", "b.yaml": text.encode()}
    with pytest.raises(RenderError, match=r"^Rendering took longer than 1 seconds$"):
        render_folder(Folder(INSTANCE_FOLDER, CLOUDFORMATION, files, ("a.yaml", "b.yaml")), target, timeout_seconds=1)


def test_output_limit() -> None:
    message = failure("ok\n{% for i in range(20000) %}{{ 'x' * 100 }}\n{% endfor %}")
    prefix = f"Template rendering failed: {INSTANCE_FOLDER}/cloudformation.yaml line 2: "
    assert message == prefix + "rendered file is larger than 1 MiB"
    assert len(rendered("{% for i in range(10000) %}{{ 'x' * 100 }}{% endfor %}")) == 1_000_000


def test_output_limit_counts_bytes() -> None:
    assert "larger than 1 MiB" in failure("{% for i in range(6) %}{{ 'é' * 100000 }}{% endfor %}")


def test_only_render_errors_escape() -> None:
    broken = Folder(INSTANCE_FOLDER, CLOUDFORMATION, {}, ("missing.yaml",))
    with pytest.raises(RenderError):
        render_folder(broken, RenderTarget(SERVICE_INSTANCE, ARN, NO_COMPONENT_NS))


def test_templates_compile_once() -> None:
    text = "Name: {{ environment.name }}-cache-test\n"
    rendered(text, ENVIRONMENT_NS)
    before = render._compile.cache_info()
    started = time.perf_counter()
    for _ in range(1000):
        rendered(text, ENVIRONMENT_NS)
    elapsed = time.perf_counter() - started
    after = render._compile.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1000
    assert elapsed < 1.0  # well under a millisecond each (about 20 microseconds here)


def test_check_jinja() -> None:
    check_jinja("instance_infrastructure/cloudformation.yaml", "{{ a }}{% include 'x' %}")
    with pytest.raises(BundleInvalid) as caught:
        check_jinja("instance_infrastructure/cloudformation.yaml", "a\n{% for %}")
    assert caught.value.message.startswith(
        "Template file instance_infrastructure/cloudformation.yaml is not a valid Jinja template: line 2: "
    )
