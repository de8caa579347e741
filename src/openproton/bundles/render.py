"""Rendering a bundle folder for one deployment (bundles-and-provisioning.md section 4 and P-25).

CloudFormation files are Jinja templates, rendered in Jinja2's sandbox against the deployment's namespaces;
Terraform and CodeBuild folders get Proton's generated files beside their own (terraform.py). Templates are
untrusted: besides the sandbox's refusal of `_` attributes, nothing reads files (no loader), `range` stops at
100,000 items, a file stops at 1 MiB, the whole folder at `timeout_seconds`, and the operations that build big
values from small ones (`*`, `**`, `+`, `%`, `~`, the padding and joining filters and methods) check the size of
what they would build first. What none of these catch is a single long C-level call on values already within the
limits (sorting 100,000 items); those end in about a second at worst.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any

from jinja2 import nodes
from jinja2.environment import Template
from jinja2.exceptions import TemplateSyntaxError
from jinja2.lexer import newline_re

from openproton.bundles import terraform
from openproton.bundles.model import (
    CLOUDFORMATION,
    CODEBUILD,
    TERRAFORM,
    BundleInvalid,
    Folder,
    RenderedFile,
    RenderError,
    RenderTarget,
)
from openproton.bundles.sandbox import (
    AT_COLUMN,
    DEADLINE,
    ENV,
    GUARD,
    MAX_OUTPUT_BYTES,
    TEMPLATE_FILENAME,
    RenderTimeout,
    check_deadline,
)

# --- compiling -------------------------------------------------------------------------------------------------


def _expression_columns(text: str) -> list[int]:
    """The column of each `{{` in the template, in order, from Jinja's own lexer (so raw blocks, comments and
    strings that look like `{{` are not counted). Each raw token is found in the source, left to right."""
    source = "\n".join(newline_re.split(text)[::2])  # the lexer's newline normalisation
    columns: list[int] = []
    position = 0
    for _lineno, token, value in ENV.lexer.tokeniter(source, None):
        found = source.find(value, position)
        if found < 0:
            break  # not expected; the remaining expressions just get column 0
        if token == "variable_begin":
            columns.append(found - (source.rfind("\n", 0, found) + 1))
        position = found + len(value)
    return columns


def _annotate(tree: nodes.Template, columns: list[int]) -> None:
    """Wraps every `{{ }}` in the column filter (P-3's indentation) and every loop's iterable in the guard."""
    remaining = iter(columns)
    for output in tree.find_all(nodes.Output):
        wrapped: list[nodes.Expr] = []
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                wrapped.append(child)
                continue
            column = next(remaining, 0)
            wrapped.append(nodes.Filter(child, AT_COLUMN, [nodes.Const(column)], [], None, None, lineno=child.lineno))
        output.nodes = wrapped
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, GUARD, [], [], None, None, lineno=loop.iter.lineno)


@functools.lru_cache(maxsize=512)
def _compile(text: str) -> Template:
    """One compiled template per distinct text: a deployment renders on every create or update."""
    tree = ENV.parse(text)
    _annotate(tree, _expression_columns(text))
    code = ENV.compile(tree, filename=TEMPLATE_FILENAME)
    return ENV.template_class.from_code(ENV, code, ENV.make_globals(None), None)


def check_jinja(path: str, text: str) -> None:
    """B-7: the file parses as Jinja."""
    problem = _syntax_problem(text)
    if problem is not None:
        raise BundleInvalid(f"Template file {path} is not a valid Jinja template: {problem}")


@functools.lru_cache(maxsize=512)
def _syntax_problem(text: str) -> str | None:
    """Why `text` does not parse, or None. By content: a new version of a bundle mostly repeats its last one's
    templates, and Jinja's parser costs milliseconds per file (the texts are at most 200 KB, B-6 step 11)."""
    try:
        ENV.parse(text)
    except TemplateSyntaxError as exc:
        return f"line {exc.lineno}: {exc.message}"
    except RecursionError:
        return "nested too deeply"
    return None


# --- rendering -------------------------------------------------------------------------------------------------


class _NoComponent(dict[str, Any]):
    """`service_instance.components.default` without a component: prints `{}`, and `.outputs` is `{}` [doc]."""

    __slots__ = ()

    @property
    def outputs(self) -> dict[str, Any]:
        return {}


class _Components(dict[str, Any]):
    __slots__ = ()

    @property
    def default(self) -> Any:
        return _NoComponent()


def _plain(value: Any) -> Any:
    """Plain dicts and lists (the namespaces may be read-only mappings; JSON output wants dicts)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _context(target: RenderTarget) -> dict[str, Any]:
    context = _plain(target.namespaces)
    instance = context.get("service_instance")
    if isinstance(instance, dict):
        components = instance.get("components")
        if isinstance(components, dict) and "default" not in components:
            instance["components"] = _Components(components)
    return context


def _template_line(template: Template, traceback: Any) -> int:
    """The template line of the innermost template frame in a traceback."""
    line = 0
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == TEMPLATE_FILENAME:
            line = template.get_corresponding_lineno(traceback.tb_lineno)
        traceback = traceback.tb_next
    return line


def _generator_line(template: Template, generator: Any) -> int:
    while getattr(generator, "gi_yieldfrom", None) is not None and hasattr(generator.gi_yieldfrom, "gi_frame"):
        generator = generator.gi_yieldfrom
    frame = getattr(generator, "gi_frame", None)
    return template.get_corresponding_lineno(frame.f_lineno) if frame is not None else 0


def _failed(folder: Folder, path: str, line: int, message: str) -> RenderError:
    return RenderError(f"Template rendering failed: {folder.name}/{path} line {line}: {message}")


def _render_jinja(folder: Folder, path: str, context: dict[str, Any]) -> str:
    text = folder.files[path].decode("utf-8")
    try:
        template = _compile(text)
    except TemplateSyntaxError as exc:
        raise _failed(folder, path, exc.lineno, exc.message or "invalid template") from None
    except RecursionError:
        raise _failed(folder, path, 1, "template is nested too deeply") from None
    check_deadline()
    generator = template.root_render_func(template.new_context(context))
    chunks: list[str] = []
    size = 0
    try:
        for chunk in generator:
            size += len(chunk) if chunk.isascii() else len(chunk.encode("utf-8"))  # bytes, as P-25 counts
            if size > MAX_OUTPUT_BYTES:
                line = _generator_line(template, generator)
                generator.close()
                raise _failed(folder, path, line, "rendered file is larger than 1 MiB")
            chunks.append(chunk)
            check_deadline()
    except (RenderError, RenderTimeout):
        raise
    except Exception as exc:  # anything the template did: a deployment failure, never a 500
        message = str(exc) or type(exc).__name__
        raise _failed(folder, path, _template_line(template, exc.__traceback__), message) from None
    return "".join(chunks)


def render_folder(folder: Folder, target: RenderTarget, *, timeout_seconds: float = 5.0) -> list[RenderedFile]:
    """A folder's files for one deployment (P-1, P-4, P-5); any failure is a RenderError with P-1's message."""
    token = DEADLINE.set(time.monotonic() + timeout_seconds)
    try:
        if folder.method == CLOUDFORMATION:
            context = _context(target)
            return [RenderedFile(path, _render_jinja(folder, path, context)) for path in folder.templates]
        if folder.method == TERRAFORM:
            return terraform.render_terraform(folder, target)
        if folder.method == CODEBUILD:
            return terraform.render_codebuild(folder, target)
        raise RenderError(f"Template rendering failed: {folder.name}: unknown rendering method {folder.method}")
    except RenderTimeout:
        raise RenderError(f"Rendering took longer than {timeout_seconds:g} seconds") from None
    except RenderError:
        raise
    except Exception as exc:  # a broken bundle record, say; still the deployment's failure, not the server's
        raise RenderError(f"Template rendering failed: {folder.name}: {exc or type(exc).__name__}") from None
    finally:
        DEADLINE.reset(token)
