"""Jinja2's sandbox, hardened for untrusted templates (bundles-and-provisioning.md P-2 and P-25).

The environment every bundle template is parsed and rendered in: no loader, StrictUndefined, `{{ }}` printing
booleans, None, lists and mappings as P-2 says, and limits on everything that grows: a deadline checked in every
loop and call, `range` at 100,000 items, and the operations that build big values from small ones (`*`, `**`,
`+`, `%`, `~`, the padding and joining filters and methods) checking the size of what they would build first.
render.py compiles and renders with it.
"""

from __future__ import annotations

import functools
import json
import math
import string
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from jinja2 import filters as jinja_filters
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment, safe_range
from jinja2.utils import pass_environment, pass_eval_context

from openproton.bundles import filters as proton_filters

MAX_OUTPUT_BYTES = 1 << 20  # per rendered file (P-25)
MAX_VALUE_CHARS = 1 << 20  # any string a template builds: it could only be printed into a 1 MiB file
MAX_ITEMS = 1_000_000  # a list or mapping a template builds (range itself stops at 100,000)
MAX_INT_BITS = 100_000  # Python refuses to print ints of more than 4,300 digits (~14,000 bits) anyway
TEMPLATE_FILENAME = "<openproton-template>"  # marks the template's frames in a traceback
GUARD = "_openproton_loop_guard"
AT_COLUMN = "_openproton_at_column"

DEADLINE: ContextVar[float] = ContextVar("openproton_render_deadline", default=math.inf)


class RenderTimeout(Exception):
    """The render's deadline passed; render_folder turns it into P-25's message."""


class _Limit(Exception):
    """A template tried to build a value past the limits."""


def check_deadline() -> None:
    if time.monotonic() > DEADLINE.get():
        raise RenderTimeout()


# --- size checks -----------------------------------------------------------------------------------------------


def _ensure_small(value: Any) -> None:
    """Refuses a value whose text (str(), JSON) would pass MAX_VALUE_CHARS, before that text is built."""
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            raise _Limit("value is larger than 1 MiB")
        return
    if not isinstance(value, (list, tuple, dict, set, frozenset)):
        return
    budget, count, stack = MAX_VALUE_CHARS, 0, [value]
    while stack:  # bounded by MAX_ITEMS, so a self-containing list ends too
        item = stack.pop()
        count += 1
        if isinstance(item, str):
            budget -= len(item) + 3
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
            budget -= 2
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
            budget -= 2
        else:
            budget -= 8
        if budget < 0 or count > MAX_ITEMS:
            raise _Limit("value is larger than 1 MiB")


def _ensure_built(value: Any) -> Any:
    """Checks a value just built (cheap: one len())."""
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        raise _Limit("value is larger than 1 MiB")
    if isinstance(value, (list, tuple, dict, set)) and len(value) > MAX_ITEMS:
        raise _Limit(f"value has more than {MAX_ITEMS} items")
    return value


def _ensure_built_size(size: int, text: bool) -> None:
    if size > (MAX_VALUE_CHARS if text else MAX_ITEMS):
        raise _Limit("value is larger than 1 MiB")


def _ensure_width(width: Any) -> None:
    if isinstance(width, int) and width > MAX_VALUE_CHARS:
        raise _Limit("value is larger than 1 MiB")


def _ensure_percent_format(text: str) -> None:
    """`'%*d' % ...` and `'%999999999d'` build huge strings from small ones."""
    position = text.find("%")
    while position != -1:
        end = position + 1
        while end < len(text) and text[end] in "-#0 +.*0123456789()":
            if text[end] == "(":
                end = text.find(")", end)  # a mapping key: skip it
                if end == -1:
                    return
            elif text[end] == "*":
                raise _Limit("a width taken from the arguments is not allowed")
            end += 1
        spec = text[position + 1 : end]
        if any(len(run) > 6 for run in "".join(c if c.isdigit() else " " for c in spec).split()):
            raise _Limit("value is larger than 1 MiB")
        position = text.find("%", end + 1)


def _ensure_brace_format(text: str) -> None:
    """`'{:>999999999}'.format(x)` and `'{:{w}}'` likewise."""
    for _literal, _field, spec, _conversion in string.Formatter().parse(text):
        if spec and (
            "{" in spec or any(len(run) > 6 for run in "".join(c if c.isdigit() else " " for c in spec).split())
        ):
            raise _Limit("value is larger than 1 MiB")


# --- the environment -------------------------------------------------------------------------------------------


class _CodeGenerator(CodeGenerator):
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        # `~` joins in the environment, so the result's size is checked before it is built.
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Environment(SandboxedEnvironment):
    code_generator_class = _CodeGenerator
    # Jinja does not fold constants through intercepted operators, so `'x' * 10**9` reaches call_binop too.
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_deadline()
        if operator == "**":
            both_int = isinstance(left, int) and isinstance(right, int)
            if both_int and right > 0 and abs(left) > 1 and right * left.bit_length() > MAX_INT_BITS:
                raise _Limit("number is too large")
        elif operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                # repeated squaring in a loop would otherwise build a number of any size
                if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise _Limit("number is too large")
            else:
                sequence, times = (left, right) if isinstance(right, int) else (right, left)
                if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
                    limit = MAX_VALUE_CHARS if isinstance(sequence, str) else MAX_ITEMS
                    if len(sequence) * times > limit:
                        raise _Limit("value is larger than 1 MiB" if isinstance(sequence, str) else "too many items")
        elif operator == "%" and isinstance(left, str):  # printf-style formatting
            _ensure_percent_format(left)
            _ensure_small(right)
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            _ensure_built_size(len(left) + len(right), isinstance(left, str))
        return _ensure_built(self.binop_table[operator](left, right))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # Every call in a template (macros, methods, loop()) passes here: the deadline is checked even in
        # recursion that never loops, and string methods that pad or join are sized first.
        check_deadline()
        method = getattr(obj, "__wrapped__", obj)  # str.format comes wrapped by the sandbox
        owner = getattr(method, "__self__", None)
        name = getattr(method, "__name__", "")
        if isinstance(owner, str):
            if name in ("ljust", "rjust", "center", "zfill", "expandtabs"):
                for arg in (*args, *kwargs.values()):
                    _ensure_width(arg)
            elif name in ("format", "format_map"):
                _ensure_brace_format(owner)
                for arg in (*args, *kwargs.values()):
                    _ensure_small(arg)
            elif name == "join" and args:
                items = list(args[0])
                if sum(len(item) if isinstance(item, str) else 0 for item in items) > MAX_VALUE_CHARS:
                    raise _Limit("value is larger than 1 MiB")
                args = (items, *args[1:])
            elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
                grows = len(args[1]) - len(args[0])
                if grows > 0 and len(owner) + (owner.count(args[0]) if args[0] else len(owner) + 1) * grows > (
                    MAX_VALUE_CHARS
                ):
                    raise _Limit("value is larger than 1 MiB")
        result = super().call(context, obj, *args, **kwargs)
        if isinstance(owner, (list, dict, set)) and len(owner) > MAX_ITEMS:
            raise _Limit(f"value has more than {MAX_ITEMS} items")  # l.extend(l) in a loop
        return _ensure_built(result)

    def checked_concat(self, parts: tuple[Any, ...]) -> str:
        for part in parts:
            _ensure_small(part)
        texts = [str(part) for part in parts]
        if sum(map(len, texts)) > MAX_VALUE_CHARS:
            raise _Limit("value is larger than 1 MiB")
        return "".join(texts)


class _Guarded:
    """A `{% for %}` loop's iterable: checks the deadline on every item, so no loop runs past it."""

    __slots__ = ("_items",)

    def __init__(self, items: Any) -> None:
        self._items = items

    def __iter__(self) -> Iterator[Any]:
        deadline = DEADLINE.get()
        for item in self._items:
            if time.monotonic() > deadline:
                raise RenderTimeout()
            yield item

    def __len__(self) -> int:
        return len(self._items)  # TypeError for an iterator: LoopContext then counts by itself


def _range(*args: int) -> range:
    check_deadline()
    return safe_range(*args)  # at most 100,000 items (jinja2.sandbox.MAX_RANGE)


def _finalize(value: Any) -> Any:
    """What `{{ }}` prints ([decided] P-2): YAML/JSON-friendly scalars, compact JSON for lists and mappings."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (Mapping, list, tuple)):
        _ensure_small(value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return value  # Jinja str()s it; an Undefined raises here


def _json_default(value: Any) -> Any:
    if isinstance(value, (range, set, frozenset, tuple)):
        return list(value)
    return str(value)


# Builtin filters that can make a big value from a small one, checked first.
def _center(value: Any, width: int = 80) -> str:
    _ensure_width(width)
    return jinja_filters.do_center(value, width)


def _indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = str(value)
    per_line = width if isinstance(width, int) else len(str(width))
    if len(text) + (text.count("\n") + 1) * max(per_line, 0) > MAX_VALUE_CHARS:
        raise _Limit("value is larger than 1 MiB")
    return jinja_filters.do_indent(text, width, first, blank)


@pass_eval_context
def _replace(eval_ctx: Any, value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old_text, new_text = str(value), str(old), str(new)
    grows = len(new_text) - len(old_text)
    occurrences = text.count(old_text) if old_text else len(text) + 1
    if grows > 0 and len(text) + occurrences * grows > MAX_VALUE_CHARS:
        raise _Limit("value is larger than 1 MiB")
    return jinja_filters.do_replace(eval_ctx, value, old, new, count)


@pass_eval_context
def _join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    items = list(value)
    if attribute is None:
        for item in items:
            _ensure_small(item)
        if sum(len(str(item)) for item in items) + len(d) * len(items) > MAX_VALUE_CHARS:
            raise _Limit("value is larger than 1 MiB")
    return _ensure_built(jinja_filters.sync_do_join(eval_ctx, items, d, attribute))


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    _ensure_percent_format(str(value))
    for arg in (*args, *kwargs.values()):
        _ensure_small(arg)
    return _ensure_built(jinja_filters.do_format(value, *args, **kwargs))


@pass_environment
def _sum(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    if not isinstance(start, (int, float)):
        raise _Limit("sum adds numbers only")  # sum(start=[]) would concatenate quadratically
    return jinja_filters.sync_do_sum(environment, iterable, attribute, start)


def _sized(filter_function: Any) -> Any:
    @functools.wraps(filter_function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for arg in args:
            if not hasattr(arg, "environment"):  # skip the eval context some filters take first
                _ensure_small(arg)
        return filter_function(*args, **kwargs)

    return checked


def _make_environment() -> _Environment:
    env = _Environment(
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_finalize,
        loader=None,  # include, import and extends fail: "no loader for this environment specified"
    )
    env.globals["range"] = _range
    env.globals.pop("lipsum", None)  # lipsum(10**9) builds any amount of text
    env.filters.update(proton_filters.FILTERS)
    env.filters.update(center=_center, indent=_indent, replace=_replace, join=_join, format=_format, sum=_sum)
    for name in ("string", "tojson", "pprint"):
        env.filters[name] = _sized(env.filters[name])
    env.filters[GUARD] = _Guarded
    env.filters[AT_COLUMN] = proton_filters.indent_to_column
    return env


ENV = _make_environment()
