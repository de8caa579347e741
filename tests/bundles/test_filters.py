"""Proton's CloudFormation filters, with the examples of the admin guide's "Parameter filters" page (P-3)."""

from __future__ import annotations

import pytest

from openproton.bundles.filters import (
    FilterError,
    proton_cfn_ecs_task_definition_formatted_env_vars,
    proton_cfn_iam_policy_arns,
    proton_cfn_lambda_function_formatted_env_vars,
    proton_cfn_sanitize,
)
from openproton.bundles.model import CLOUDFORMATION, INSTANCE_FOLDER, Folder, RenderError, RenderTarget
from openproton.bundles.render import render_folder

OUTPUTS = {"Output1": "hello", "Output2": "world"}
POLICIES = {
    **OUTPUTS,
    "PolicyArn1": "arn:aws:iam::123456789012:policy/cfn-generated-policy-name-1",
    "PolicyArn2": "arn:aws:iam::123456789012:policy/cfn-generated-policy-name-2",
}


def render(text: str, outputs: dict) -> str:
    namespaces = {
        "service": {"name": "svc"},
        "service_instance": {
            "name": "inst",
            "inputs": {},
            "components": {"default": {"name": "c", "outputs": outputs}},
        },
    }
    target = RenderTarget(
        "service_instance", "arn:aws:proton:us-east-1:123456789012:service/svc/service-instance/inst", namespaces
    )
    folder = Folder(INSTANCE_FOLDER, CLOUDFORMATION, {"cloudformation.yaml": text.encode()}, ("cloudformation.yaml",))
    return render_folder(folder, target)[0].content


def test_ecs_documented_example() -> None:
    text = (
        "          Environment:\n"
        "            {{ service_instance.components.default.outputs\n"
        "              | proton_cfn_ecs_task_definition_formatted_env_vars }}\n"
    )
    assert render(text, OUTPUTS) == (
        "          Environment:\n"
        "            - Name: Output1\n"
        "              Value: hello\n"
        "            - Name: Output2\n"
        "              Value: world\n"
    )


def test_lambda_documented_example() -> None:
    text = (
        "        Variables:\n"
        "          {{ service_instance.components.default.outputs\n"
        "            | proton_cfn_lambda_function_formatted_env_vars }}\n"
    )
    assert render(text, OUTPUTS) == "        Variables:\n          Output1: hello\n          Output2: world\n"


def test_iam_documented_example() -> None:
    text = (
        "      ManagedPolicyArns:\n"
        "        - !Ref BaseTaskRoleManagedPolicy\n"
        "        {{ service_instance.components.default.outputs\n"
        "            | proton_cfn_iam_policy_arns }}\n"
    )
    assert render(text, POLICIES) == (
        "      ManagedPolicyArns:\n"
        "        - !Ref BaseTaskRoleManagedPolicy\n"
        "        - arn:aws:iam::123456789012:policy/cfn-generated-policy-name-1\n"
        "        - arn:aws:iam::123456789012:policy/cfn-generated-policy-name-2\n"
    )


def test_sanitize_documented_examples() -> None:
    outputs = {
        "Output1": "This-is_valid_37",
        "Output2": "this::is::incorrect",
        "SomeArn": "arn:aws:some-service::123456789012:some-resource/resource-name",
    }
    ref = "service_instance.components.default.outputs"
    assert render(f"  {{{{ {ref}.Output1\n    | proton_cfn_sanitize }}}}", outputs) == "  This-is_valid_37"
    assert render(f"  {{{{ {ref}.SomeArn | proton_cfn_sanitize }}}}", outputs) == "  " + outputs["SomeArn"]
    with pytest.raises(RenderError) as caught:
        # Jinja puts a filter on the line of its `|`.
        render(f"# ...\n  {{{{ {ref}.Output2\n    | proton_cfn_sanitize }}}}", outputs)
    assert caught.value.message == (
        "Template rendering failed: instance_infrastructure/cloudformation.yaml line 3: Illegal character(s) detected"
        ' in "this::is::incorrect". Must match regex ^[a-zA-Z0-9_-]*$ or be a valid ARN'
    )


def test_default_documented_example() -> None:
    text = '{{ service_instance.components.default.outputs.test | default("[optional-value]") }}'
    assert render(text, OUTPUTS) == "[optional-value]"


def test_empty_mappings_give_empty_text() -> None:
    for text_filter in (
        proton_cfn_ecs_task_definition_formatted_env_vars,
        proton_cfn_lambda_function_formatted_env_vars,
        proton_cfn_iam_policy_arns,
    ):
        assert text_filter({}) == ""
    assert render("A: {{ {} | proton_cfn_ecs_task_definition_formatted_env_vars }}!", {}) == "A: !"


def test_raw_false_validates_values() -> None:
    assert proton_cfn_lambda_function_formatted_env_vars({"A": "ok_1-2"}, raw=False) == "A: ok_1-2"
    for bad in ("a b", "x: y", "ok\n- injected", "arn:aws:s3:::bucket"):
        with pytest.raises(FilterError) as caught:
            proton_cfn_ecs_task_definition_formatted_env_vars({"A": bad}, raw=False)
        assert str(caught.value) == f'Illegal character(s) detected in "{bad}". Must match regex ^[a-zA-Z0-9_-]*$'
    text = (
        "{{ service_instance.components.default.outputs | proton_cfn_lambda_function_formatted_env_vars(raw=False) }}"
    )
    with pytest.raises(RenderError, match=r"line 1: Illegal character\(s\) detected in \"a b\""):
        render(text, {"A": "a b"})


def test_iam_drops_what_is_not_a_policy_arn() -> None:
    values = {
        "role": "arn:aws:iam::123456789012:role/r",
        "short": "arn:aws:iam::1234:policy/p",
        "gov": "arn:aws-us-gov:iam::123456789012:policy/p",
        "managed": "arn:aws:iam::aws:policy/ReadOnly",
    }
    assert proton_cfn_iam_policy_arns(values) == "- arn:aws-us-gov:iam::123456789012:policy/p"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "arn:aws:s3:::bucket/key",
        "arn:aws:iam::123456789012:role/x",
        "arn:aws:sns:us-east-1:123456789012:t",
        80,
    ],
)
def test_sanitize_accepts(value: object) -> None:
    assert proton_cfn_sanitize(value) == str(value)


@pytest.mark.parametrize(
    "value", ["a b", "x\n", "arn:aws:s3", "arn:aws:s3:::", "arn:aws:iam::1234567890123:role/x", "arn::s3:::b", "a'b"]
)
def test_sanitize_refuses(value: str) -> None:
    with pytest.raises(FilterError, match=r"or be a valid ARN$"):
        proton_cfn_sanitize(value)


def test_filters_need_mappings() -> None:
    with pytest.raises(FilterError, match="expects a mapping"):
        proton_cfn_iam_policy_arns(["arn:aws:iam::123456789012:policy/p"])


def test_indentation_follows_the_expression_column_not_earlier_output() -> None:
    text = (
        "{{ 'long prefix' }} {# {{ no }} #}{% raw %}{{ raw }}{% endraw %}  "
        "{{ {'a': 1, 'b': 2} | proton_cfn_lambda_function_formatted_env_vars }}"
    )
    column = text.index("{{ {'a'")
    assert render(text, {}) == "long prefix {{ raw }}  a: 1\n" + " " * column + "b: 2"


def test_crlf_templates_and_whitespace_control() -> None:
    text = "x:\r\n  {{- '' }}\r\n    {{ {'a': 1, 'b': 2} | proton_cfn_lambda_function_formatted_env_vars }}\r\n"
    assert render(text, {}) == "x:\n    a: 1\n    b: 2\n"
