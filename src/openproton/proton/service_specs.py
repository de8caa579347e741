"""The structure of a service spec document (../shared/spec/services.md, "Specs"; bundles-and-provisioning.md B-13).

Pure: the caller passes what the document is checked against (which environments exist) and receives the
parsed entries or a ValidationException. Input values are not checked here: that is the bundle schema's job,
once bundles exist. The stored text stays the caller's (S-9); what this module parses is never written back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, NoReturn

import yaml
from yaml.error import Mark, MarkedYAMLError
from yaml.events import AliasEvent, MappingEndEvent, MappingStartEvent, SequenceEndEvent, SequenceStartEvent
from yaml.nodes import Node
from yaml.reader import ReaderError

from openproton.protocol.model import load_service_model

from .errors import ValidationException

SERVICE_SPEC = "ServiceSpec"
# [doc] The value that keeps an input's current value; S-16 lets it stand for anything.
CURRENT_VAL = "${Proton::CURRENT_VAL}"

# B-13: at most this many items are spelled out, then `; and <k> more`.
MAX_ITEMS = 10
# The request's `spec` is one string member, so wire.md's 64-level limit on the JSON body (W-13) does not reach
# inside it. PyYAML's composer recurses once per level: a document of 51200 `[` would exhaust Python's stack
# and end as a 500. No spec needs more than a few levels; 64 matches the JSON limit (ours).
MAX_DEPTH = 64
# B-13 has no path for the document itself; `document` names it, and cannot clash with a key's path.
DOCUMENT = "document"

_ANCHOR_PROBLEM = "anchors and aliases are not allowed"
_TAG_PROBLEM = "only standard YAML tags are allowed"
_DEPTH_PROBLEM = f"collections are nested more than {MAX_DEPTH} levels deep"
_VALUE_TAG = "tag:yaml.org,2002:value"


@dataclass(frozen=True, slots=True)
class InstanceEntry:
    name: str
    environment: str
    # The entry's `spec` mapping (its inputs); None when absent or null.
    spec: dict[Any, Any] | None


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    instances: tuple[InstanceEntry, ...]
    # The `pipeline` mapping (the pipeline's inputs); None when absent or null.
    pipeline: dict[Any, Any] | None

    def instance(self, name: str) -> InstanceEntry | None:
        return next((entry for entry in self.instances if entry.name == name), None)


# --- Loading YAML: safe_load, minus what untrusted input must not use ---------------------------------------


class _Refused(MarkedYAMLError):
    """A document PyYAML would read but we refuse, reported like a YAML error (it has a line and column)."""

    def __init__(self, mark: Mark | None, problem: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class _SpecLoader(yaml.SafeLoader):
    """yaml.SafeLoader refusing anchors, aliases, tags it has no constructor for, and deep nesting.

    Aliases are refused while composing, before anything is expanded, so a billion-laughs document costs one
    pass over its text. Anchors are refused with them: without aliases they serve no purpose, and refusing both
    gives one simple rule to document.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(event.start_mark, _ANCHOR_PROBLEM)
        if self._depth >= MAX_DEPTH:
            raise _Refused(event.start_mark, _DEPTH_PROBLEM)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError):
            # SafeConstructor lets some scalars escape as plain Python errors: `!!int x`, an implicit timestamp
            # such as 2024-13-45 (ValueError from datetime), an integer over Python's 4300-digit limit. Give
            # them a position instead of a 500; the kind comes from a standard tag, never from the input.
            kind = node.tag.rsplit(":", 1)[-1]
            raise _Refused(node.start_mark, f"not a valid {kind}") from None

    def _refuse_tag(self, node: Node) -> NoReturn:
        # Replaces SafeConstructor's construct_undefined, whose message quotes the tag (input text).
        if node.tag == _VALUE_TAG:
            # safe_load's own gap, kept so that every reader of a spec agrees: a plain `=` resolves to YAML 1.1's
            # `value` tag, which SafeLoader cannot construct. Say what to do rather than blame a tag not written.
            raise _Refused(node.start_mark, "a plain = must be quoted")
        raise _Refused(node.start_mark, _TAG_PROBLEM)


# None is the key SafeConstructor falls back to for a tag it has no constructor for.
_SpecLoader.add_constructor(None, _SpecLoader._refuse_tag)


class YamlProblem(Exception):
    """Why a text is not a YAML document this loader accepts: `not valid YAML at line <l>, column <c>: ...`."""

    def __init__(self, message: str, problem: str = "", line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The parts, for callers that word the message their own way (a bundle's schema, B-6 step 4).
        self.problem = problem or message
        self.line = line
        self.column = column


# libyaml's parser, where PyYAML was built with it: the same safe_load, in C. The constructor and resolver stay
# PyYAML's own Python classes, so values come out exactly as _SpecLoader makes them.
_C_LOADER: Any = getattr(yaml, "CSafeLoader", None)
_OPENS = (MappingStartEvent, SequenceStartEvent)
_CLOSES = (MappingEndEvent, SequenceEndEvent)


def _load_fast(text: str) -> tuple[bool, Any]:
    """(True, document) when libyaml reads `text` and it uses nothing _SpecLoader refuses; else (False, None),
    and _SpecLoader reads it again to give the exact problem (or, rarely, to accept what libyaml did not).

    Specs are parsed on every call that takes one, and PyYAML's pure-Python scanner costs more than everything
    else such a call does; the checks below are _SpecLoader's, made on libyaml's events."""
    if _C_LOADER is None:
        return False, None
    try:
        depth = 0
        for parsed in yaml.parse(text, Loader=_C_LOADER):
            if isinstance(parsed, AliasEvent) or getattr(parsed, "anchor", None) is not None:
                return False, None
            if isinstance(parsed, _OPENS):
                depth += 1
                if depth >= MAX_DEPTH - 1:  # near the limit: let _SpecLoader count exactly
                    return False, None
            elif isinstance(parsed, _CLOSES):
                depth -= 1
        return True, yaml.load(text, Loader=_C_LOADER)
    except Exception:  # any problem at all: _SpecLoader words it
        return False, None


def load_yaml(text: str) -> Any:
    """The one document of an untrusted text (a spec, a component manifest), or YamlProblem (B-13's wording).

    No anchors, aliases or unknown tags; nesting at most MAX_DEPTH."""
    done, document = _load_fast(text)
    if done:
        return document
    try:
        loader = _SpecLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # PyYAML splits most messages in two ("while scanning a simple key" / "could not find expected ':'");
        # either half alone reads badly, so both are kept, in PyYAML's order.
        problem = ", ".join(part for part in (error.context, error.problem) if part)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise YamlProblem(_yaml_message(mark, problem), problem, line, column) from None
    except ReaderError as error:
        # Raised before parsing (a control character, say), with an offset rather than a Mark.
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        message = f"not valid YAML at line {line}, column {column}: {error.reason}"
        raise YamlProblem(message, error.reason, line, column) from None
    except yaml.YAMLError:
        raise YamlProblem("not valid YAML") from None


def _yaml_message(mark: Mark | None, problem: str) -> str:
    if mark is None:
        return f"not valid YAML: {problem}"
    # PyYAML counts from 0; editors, and users reading the message, count from 1.
    return f"not valid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"


# --- Checking the structure ---------------------------------------------------------------------------------


@cache
def _resource_name() -> tuple[re.Pattern[str], str, int]:
    """ResourceName's pattern and maximum length, from the model (the contract), never copied by hand."""
    shape = load_service_model("proton").shape_for("ResourceName")
    pattern_text: str = shape.metadata["pattern"]
    # wire.md: patterns are full matches, ASCII only.
    return re.compile(pattern_text, re.ASCII), pattern_text, int(shape.metadata["max"])


def _resource_name_problem(value: Any) -> str | None:
    if value is None:
        return "is required"
    if not isinstance(value, str):
        return "must be of type string"
    pattern, pattern_text, max_length = _resource_name()
    # B-13 words every bound `must have value less than or equal to <n>`, lengths included.
    if len(value) > max_length:
        return f"must have value less than or equal to {max_length}"
    if pattern.fullmatch(value) is None:
        return f"must match pattern {pattern_text}"
    return None


def invalid(items: list[tuple[str, str]]) -> ValidationException:
    """[decided] B-13: `Invalid spec: <n> validation error(s) detected: <path>: <problem>; ...`."""
    # Ordered by path in byte order, at most MAX_ITEMS spelled out; the count is of all of them.
    ordered = sorted(items, key=lambda item: item[0].encode())
    shown = "; ".join(f"{path}: {problem}" for path, problem in ordered[:MAX_ITEMS])
    if len(ordered) > MAX_ITEMS:
        shown += f"; and {len(ordered) - MAX_ITEMS} more"
    noun = "error" if len(ordered) == 1 else "errors"
    return ValidationException(f"Invalid spec: {len(ordered)} validation {noun} detected: {shown}")


def spec_document(text: str, kind: str) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
    """[decided] B-9: a spec's document, a mapping whose `proton` names its kind (ServiceSpec, EnvironmentSpec),
    with the problems found so far; YAML that does not read, or is not a mapping, is refused at once (B-13)."""
    try:
        document = load_yaml(text)
    except YamlProblem as problem:
        raise ValidationException(f"Invalid spec: {problem.message}") from None
    if not isinstance(document, dict):
        raise invalid([(DOCUMENT, "must be a mapping")])
    items: list[tuple[str, str]] = []
    proton = document.get("proton")
    if proton is None:
        items.append(("proton", "is required"))
    elif proton != kind:
        items.append(("proton", f"must be {kind}"))
    return document, items


def parse(text: str, *, environment_exists: Callable[[str], bool]) -> ServiceSpec:
    """The document's instances and pipeline, after every structural rule of [decided] S-10.

    Every problem is collected and reported at once (B-13 lists up to ten), so a user fixes a spec in one go.
    Values are never echoed (the model marks `spec` sensitive); names of instances and environments are, as
    S-10's own example does, and only once they are valid ResourceNames.

    "pipeline absent or a mapping (checked first; a service without a pipeline then ignores it, S-11)" is read
    as: the shape of `pipeline` is checked here, for every service, before anyone asks whether the service has
    a pipeline; only a well-formed section is then ignored by a service without one. It is not about the order
    of the items, which B-13 fixes by path.
    """
    document, items = spec_document(text, SERVICE_SPEC)

    pipeline = document.get("pipeline")
    if pipeline is not None and not isinstance(pipeline, dict):
        items.append(("pipeline", "must be a mapping"))

    instances = document.get("instances")
    entries: list[InstanceEntry] = []
    if instances is not None and not isinstance(instances, list):
        items.append(("instances", "must be of type array"))
    elif instances:
        entries = list(_check_instances(instances, environment_exists, items))

    if items:
        raise invalid(items)
    return ServiceSpec(instances=tuple(entries), pipeline=pipeline)


def _check_instances(
    instances: list[Any], environment_exists: Callable[[str], bool], items: list[tuple[str, str]]
) -> Iterator[InstanceEntry]:
    """Each entry that is well formed; every problem goes to `items`."""
    seen: set[str] = set()
    known: dict[str, bool] = {}  # one lookup per environment, however many instances it holds
    for index, entry in enumerate(instances):
        if not isinstance(entry, dict):
            items.append((f"instances[{index}]", "must be a mapping"))
            continue
        name = entry.get("name")
        name_problem = _resource_name_problem(name)
        # B-13: an entry is named by its name, by its 0-based index when the name is unusable. A repeated name
        # is unusable too: `instances[<name>]` already means the first entry of that name.
        if name_problem is None and name in seen:
            name_problem = "must be unique"
        path = f"instances[{name}]" if name_problem is None else f"instances[{index}]"
        problems: list[tuple[str, str]] = []
        if name_problem is None:
            seen.add(name)
        else:
            problems.append((f"{path}.name", name_problem))

        environment = entry.get("environment")
        # An environment's name is a ResourceName too: a string that is not one names nothing, and is not
        # echoed in `environment <x> does not exist` nor looked up.
        environment_problem = _resource_name_problem(environment)
        if environment_problem is None:
            if environment not in known:
                known[environment] = environment_exists(environment)
            if not known[environment]:
                environment_problem = f"environment {environment} does not exist"
        if environment_problem is not None:
            problems.append((f"{path}.environment", environment_problem))

        spec = entry.get("spec")
        if spec is not None and not isinstance(spec, dict):
            problems.append((f"{path}.spec", "must be a mapping"))

        items.extend(problems)
        if not problems:
            yield InstanceEntry(name=name, environment=environment, spec=spec)


def instance_entry_required(spec: ServiceSpec, name: str) -> InstanceEntry:
    """[decided] S-18: the entry an instance operation uses, the one whose `name` is the request's."""
    entry = spec.instance(name)
    if entry is None:
        raise invalid([("instances", f"no entry named {name}")])
    return entry


def instance_entry_in(spec: ServiceSpec, name: str, environment: str) -> InstanceEntry:
    """[decided] S-19: UpdateServiceInstance's spec holds the instance's entry, naming the instance's environment.

    An instance never moves, so an entry naming another environment is a mistake to report, not a move.
    """
    entry = instance_entry_required(spec, name)
    if entry.environment != environment:
        raise invalid([(f"instances[{name}].environment", f"must be {environment}, the instance's environment")])
    return entry


# --- Comparing inputs: [decided] S-16 -----------------------------------------------------------------------


def same_inputs(stored: Any, given: Any) -> bool:
    """[decided] S-16: whether `given` inputs equal `stored` ones as parsed YAML.

    An absent section (None) equals `{}`; `${Proton::CURRENT_VAL}` on either side equals anything, absent
    included (B-11: with no current value the key is dropped, so it matches a key that is not there).
    """
    return _same({} if stored is None else stored, {} if given is None else given)


def _same(stored: Any, given: Any) -> bool:
    if stored == CURRENT_VAL or given == CURRENT_VAL:
        return True
    if isinstance(stored, dict) and isinstance(given, dict):
        for key in stored.keys() | given.keys():
            if key in stored and key in given:
                if not _same(stored[key], given[key]):
                    return False
            elif (stored[key] if key in stored else given[key]) != CURRENT_VAL:
                return False
        return True
    if isinstance(stored, list | tuple) and isinstance(given, list | tuple):
        return (
            type(stored) is type(given)
            and len(stored) == len(given)
            and all(_same(a, b) for a, b in zip(stored, given, strict=True))
        )
    # Scalars: the same YAML type and value. Python's `True == 1 == 1.0` would make `port: 80` equal
    # `port: 80.0` and `on: 1` equal `on: true`, which render differently (P-2: numbers as written).
    if type(stored) is not type(given):
        return False
    if isinstance(stored, float) and math.isnan(stored) and math.isnan(given):
        return True  # `.nan` written twice is the same document
    return bool(stored == given)


# --- Reading stored documents -------------------------------------------------------------------------------


def _stored_document(text: str | None) -> dict[Any, Any]:
    """A stored spec's document, tolerantly: it passed S-10 when it was stored, so nothing is reported here."""
    if not text:
        return {}
    try:
        document = load_yaml(text)
    except YamlProblem:
        return {}
    return document if isinstance(document, dict) else {}


def inputs_of_instance(text: str | None, name: str) -> dict[Any, Any]:
    """The inputs (`spec`) of the entry `name` in a stored document; `{}` when absent (S-16: absent is `{}`)."""
    instances = _stored_document(text).get("instances")
    if isinstance(instances, list):
        for entry in instances:
            if isinstance(entry, dict) and entry.get("name") == name:
                spec = entry.get("spec")
                return spec if isinstance(spec, dict) else {}
    return {}


def pipeline_inputs(text: str | None) -> dict[Any, Any]:
    """The `pipeline` inputs of a stored document; `{}` when absent."""
    pipeline = _stored_document(text).get("pipeline")
    return pipeline if isinstance(pipeline, dict) else {}
