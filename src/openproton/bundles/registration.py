"""Registering a bundle: [decided] B-6's checks in order, the first failure the version's statusMessage.

`register_archive` takes a fetched archive (steps 2 to 11), `register_files` files that arrived another way
(template sync's `v<N>/` tree, a directory for `openproton render`: steps 3 to 11). Both return the checked
Bundle, whose `sha256` names the stored archive (B-4); `load` rebuilds a Bundle from a stored archive, cached by
that digest, so a deployment renders without reading or checking the archive again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from openproton.proton.service_specs import YamlProblem, load_yaml

from . import archive
from .manifest import folders_of
from .model import Bundle, BundleInvalid
from .schema import check_schema

KB = 2**10
MAX_SCHEMA_BYTES = 50 * KB


@dataclass(frozen=True, slots=True)
class Kind:
    """What a bundle is registered for: the template's type and how its template provisions."""

    template_type: str  # ENVIRONMENT or SERVICE
    has_pipeline: bool = False  # service templates: pipelineProvisioning is not CUSTOMER_MANAGED
    customer_managed: bool = False  # environment templates: provisioning CUSTOMER_MANAGED


def register_archive(data: bytes, kind: Kind) -> Bundle:
    files = archive.read_archive(data)
    return _checked(archive.bundle_root(files), kind, hashlib.sha256(data).hexdigest())


def register_files(files: Mapping[str, bytes], kind: Kind) -> tuple[Bundle, bytes]:
    """The bundle of files at its root already, and the archive it is kept as."""
    packed = archive.pack(files)
    if len(packed) > archive.MAX_ARCHIVE_BYTES:
        raise BundleInvalid(archive.TOO_LARGE)
    return _checked(archive.bundle_root(files), kind, hashlib.sha256(packed).hexdigest()), packed


def _checked(files: Mapping[str, bytes], kind: Kind, sha256: str) -> Bundle:
    content = files[archive.SCHEMA_PATH]
    if len(content) > MAX_SCHEMA_BYTES:
        raise BundleInvalid("Template schema is larger than 50 KB")
    text = _schema_text(content)
    try:
        document = load_yaml(text)
    except YamlProblem as problem:
        raise BundleInvalid(_schema_problem(problem)) from None
    if not isinstance(document, dict):
        raise BundleInvalid("Template schema is not valid: not a mapping at line 1, column 1")
    schema = check_schema(
        document,
        text,
        template_type=kind.template_type,
        has_pipeline=kind.has_pipeline,
        customer_managed=kind.customer_managed,
    )
    folders = folders_of(
        files,
        template_type=kind.template_type,
        has_pipeline=kind.has_pipeline,
        customer_managed=kind.customer_managed,
    )
    return Bundle(sha256=sha256, schema=schema, folders=folders)


def _schema_text(content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        before = content[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise BundleInvalid(f"Template schema is not valid: not UTF-8 text at line {line}, column {column}") from None


def _schema_problem(problem: YamlProblem) -> str:
    """B-6 step 4's `<problem> at line <l>, column <c>`, from the spec loader's YAML error."""
    if problem.line is None:
        return f"Template schema is not valid: {problem.problem}"
    return f"Template schema is not valid: {problem.problem} at line {problem.line}, column {problem.column}"


# -- stored bundles, read again -----------------------------------------------------------------------------

_CACHE_SIZE = 64
_cache: OrderedDict[tuple[str, Kind], Bundle] = OrderedDict()
_cache_lock = threading.Lock()


def load(sha256: str, data: bytes, kind: Kind) -> Bundle:
    """A stored bundle (it passed registration, so this cannot fail for the same code), most recent cached."""
    found = cached(sha256, kind)
    if found is not None:
        return found
    bundle = _checked(archive.bundle_root(archive.read_archive(data)), kind, sha256)
    remember(bundle, kind)
    return bundle


def cached(sha256: str, kind: Kind) -> Bundle | None:
    """A bundle already read in this process, without touching its stored archive."""
    with _cache_lock:
        bundle = _cache.get((sha256, kind))
        if bundle is not None:
            _cache.move_to_end((sha256, kind))
        return bundle


def remember(bundle: Bundle, kind: Kind) -> None:
    """Keep a bundle just registered, so the first deployment of its version does not read it again."""
    with _cache_lock:
        _cache[(bundle.sha256, kind)] = bundle
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
