"""AWS Proton's Jinja filters for CloudFormation files (bundles-and-provisioning.md section 4, P-3).

Documented in "Parameter filters for CloudFormation IaC files" of the Proton administrator guide:
`proton_cfn_ecs_task_definition_formatted_env_vars`, `proton_cfn_lambda_function_formatted_env_vars`,
`proton_cfn_iam_policy_arns` and `proton_cfn_sanitize`. The multi-line ones return `MultiLine`, which the renderer
indents to the column of the `{{` that printed it, so the documented examples come out as YAML at the right depth.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

# The documented patterns. They are fixed and linear, so Python's `re` is safe on caller text here; `fullmatch`
# (not `match` with `$`) so that a value ending in a newline cannot slip a second YAML line through.
_SAFE_VALUE = re.compile(r"[a-zA-Z0-9_-]*")
_IAM_POLICY_ARN = re.compile(r"arn:[a-zA-Z-]+:iam::\d{12}:policy/")  # a prefix match, as documented
_ARN = re.compile(r"arn:[^:\s]+:[^:\s]*:[^:\s]*:\d{0,12}:\S+")  # [decided] P-3

_SAFE_TEXT = "Must match regex ^[a-zA-Z0-9_-]*$"


class FilterError(Exception):
    """A filter refused its value; the message is the deployment's reason (the renderer adds file and line)."""


class MultiLine(str):
    """A filter's multi-line YAML: lines after the first are indented to the column of the expression (P-3)."""

    __slots__ = ()


def _text(value: Any) -> str:
    """A value as `{{ }}` would print it (outputs are strings; inputs may be numbers or booleans)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _mapping(name: str, value: Any) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise FilterError(f"{name} expects a mapping, not {type(value).__name__}")
    return value


def _checked(value: Any, raw: bool) -> str:
    text = _text(value)
    if not raw and _SAFE_VALUE.fullmatch(text) is None:
        raise FilterError(f'Illegal character(s) detected in "{text}". {_SAFE_TEXT}')
    return text


def proton_cfn_ecs_task_definition_formatted_env_vars(value: Any, raw: bool = True) -> str:
    """`{k: v}` → an ECS `Environment` list: `- Name: k` / `  Value: v` per item; `{}` → ''."""
    items = _mapping("proton_cfn_ecs_task_definition_formatted_env_vars", value)
    lines: list[str] = []
    for key, item in items.items():
        lines.append(f"- Name: {_checked(key, True)}")
        lines.append(f"  Value: {_checked(item, raw)}")
    return MultiLine("\n".join(lines))


def proton_cfn_lambda_function_formatted_env_vars(value: Any, raw: bool = True) -> str:
    """`{k: v}` → a Lambda `Environment.Variables` mapping: `k: v` per line; `{}` → ''."""
    items = _mapping("proton_cfn_lambda_function_formatted_env_vars", value)
    return MultiLine("\n".join(f"{_checked(key, True)}: {_checked(item, raw)}" for key, item in items.items()))


def proton_cfn_iam_policy_arns(value: Any) -> str:
    """`{k: v}` → `- <arn>` for each value that is an IAM policy ARN; other values are dropped; none → ''."""
    items = _mapping("proton_cfn_iam_policy_arns", value)
    arns = [text for text in map(_text, items.values()) if _IAM_POLICY_ARN.match(text) and "\n" not in text]
    return MultiLine("\n".join(f"- {arn}" for arn in arns))


def proton_cfn_sanitize(value: Any) -> str:
    """The value itself if it matches `^[a-zA-Z0-9_-]*$` or is a valid ARN (P-3), else rendering fails."""
    text = _text(value)
    if _SAFE_VALUE.fullmatch(text) is None and _ARN.fullmatch(text) is None:
        raise FilterError(f'Illegal character(s) detected in "{text}". {_SAFE_TEXT} or be a valid ARN')
    return text


def indent_to_column(value: Any, column: int) -> Any:
    """Applied by the renderer around every `{{ }}`: indents a `MultiLine` to the `{{`'s column, else a no-op."""
    if isinstance(value, MultiLine) and column > 0:
        return value.replace("\n", "\n" + " " * column)
    return value


FILTERS: dict[str, Callable[..., Any]] = {
    "proton_cfn_ecs_task_definition_formatted_env_vars": proton_cfn_ecs_task_definition_formatted_env_vars,
    "proton_cfn_lambda_function_formatted_env_vars": proton_cfn_lambda_function_formatted_env_vars,
    "proton_cfn_iam_policy_arns": proton_cfn_iam_policy_arns,
    "proton_cfn_sanitize": proton_cfn_sanitize,
}
