"""Registering template versions from bundles (B-4 to B-8): the check list in order, each failure's statusMessage,
and what a good bundle gives its version. Every test runs in-process and against `serve --bundle-dir` on SQLite
and PostgreSQL."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bundles.bundle_library import (
    ENVIRONMENT_SCHEMA,
    archive,
    archive_with,
    environment_files,
    manifest,
    schema_with,
    service_files,
)
from bundles.bundle_support import Bundles

FIRST_POLL = {"Delay": 1, "MaxAttempts": 1}


def test_a_bundle_in_aws_sample_layout_registers_as_draft_with_its_schema(bundles: Bundles) -> None:
    client = bundles.client
    client.create_environment_template(name="vpc")
    created = client.create_environment_template_version(
        templateName="vpc", source=bundles.source(environment_files())
    )["environmentTemplateVersion"]
    assert created["status"] == "REGISTRATION_IN_PROGRESS"
    assert "schema" not in created
    # B-5: the waiter ends on its first poll.
    client.get_waiter("environment_template_version_registered").wait(
        templateName="vpc", majorVersion="1", minorVersion="0", WaiterConfig=FIRST_POLL
    )
    version = client.get_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="0")[
        "environmentTemplateVersion"
    ]
    assert version["status"] == "DRAFT"
    assert version["schema"] == ENVIRONMENT_SCHEMA
    assert "statusMessage" not in version
    listed = client.list_environment_template_versions(templateName="vpc")["templateVersions"]
    assert [v["status"] for v in listed] == ["DRAFT"]
    assert "schema" not in listed[0]  # the summary shape has no schema


def test_a_bundle_at_the_archive_root_registers_too(bundles: Bundles) -> None:
    bundles.client.create_environment_template(name="vpc")
    bundles.client.create_environment_template_version(
        templateName="vpc", source=bundles.source(environment_files(), root=None)
    )
    version = bundles.client.get_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="0")
    assert version["environmentTemplateVersion"]["status"] == "DRAFT"


def test_a_failed_registration_fails_the_waiter_on_its_first_poll_and_cannot_be_published(bundles: Bundles) -> None:
    version = bundles.register("vpc", {"README.md": "no schema here"})
    assert version["status"] == "REGISTRATION_FAILED"
    assert version["statusMessage"] == "Template bundle is missing schema/schema.yaml"
    waiter = bundles.client.get_waiter("environment_template_version_registered")
    with pytest.raises(Exception, match="failure state"):
        waiter.wait(templateName="vpc", majorVersion="1", minorVersion="0", WaiterConfig=FIRST_POLL)
    with pytest.raises(bundles.client.exceptions.ValidationException, match="REGISTRATION_FAILED"):
        bundles.client.update_environment_template_version(
            templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
        )


def test_a_missing_object_fails_with_the_fetch_message(bundles: Bundles) -> None:
    bundles.client.create_environment_template(name="vpc")
    bundles.client.create_environment_template_version(
        templateName="vpc", source={"s3": {"bucket": "templates", "key": "nothing/here.tar.gz"}}
    )
    version = bundles.client.get_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="0")
    assert version["environmentTemplateVersion"]["statusMessage"] == (
        "Unable to fetch template bundle from s3://templates/nothing/here.tar.gz: not found"
    )


@pytest.mark.parametrize("key", ["../templates/x.tar.gz", "a//b.tar.gz", "./x.tar.gz", "a/../../etc/passwd"])
def test_a_key_that_leaves_its_bucket_is_not_found(bundles: Bundles, key: str) -> None:
    """B-2: `.`, `..` and empty segments name nothing, wherever they would lead."""
    bundles.source(environment_files())  # something real is there to be reached
    bundles.client.create_environment_template(name="vpc")
    bundles.client.create_environment_template_version(
        templateName="vpc", source={"s3": {"bucket": "templates", "key": key}}
    )
    version = bundles.client.get_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="0")
    assert version["environmentTemplateVersion"]["statusMessage"] == (
        f"Unable to fetch template bundle from s3://templates/{key}: not found"
    )


def test_a_retry_with_the_same_client_token_fetches_nothing_and_returns_the_version(bundles: Bundles) -> None:
    client = bundles.client
    client.create_environment_template(name="vpc")
    source = bundles.source(environment_files())
    first = client.create_environment_template_version(templateName="vpc", source=source, clientToken="once")
    # The archive is now garbage: a retry that fetched it again would register a failed version.
    (bundles.directory / source["s3"]["bucket"] / source["s3"]["key"]).write_bytes(b"garbage")
    again = client.create_environment_template_version(templateName="vpc", source=source, clientToken="once")
    assert again["environmentTemplateVersion"]["arn"] == first["environmentTemplateVersion"]["arn"]
    versions = client.list_environment_template_versions(templateName="vpc")["templateVersions"]
    assert [(v["majorVersion"], v["minorVersion"], v["status"]) for v in versions] == [("1", "0", "DRAFT")]


# -- B-6: the check list, one failure each ------------------------------------------------------------------


def _schema(**change: Any) -> str:
    document = yaml.safe_load(ENVIRONMENT_SCHEMA)
    document["schema"].update(change)
    return yaml.safe_dump(document, sort_keys=False)


def _with(**files: str | bytes) -> dict[str, str | bytes]:
    base = environment_files()
    for name, content in files.items():
        path = name.replace("__", "/").replace("_DOT_", ".")
        base[path] = content
    return base


def _without(*paths: str) -> dict[str, str | bytes]:
    return {name: content for name, content in environment_files().items() if name not in paths}


def _many_entries() -> bytes:
    files = environment_files()
    files.update({f"extra/{i}.txt": "x" for i in range(1000)})
    return archive(files)


def _expanding() -> bytes:
    files = environment_files()
    files["big/zeros.bin"] = bytes(51 * 2**20)  # 51 MiB of zeros: a few dozen KB compressed
    return archive(files)


def _escaping_name() -> bytes:
    info = tarfile.TarInfo("bundle/../../escaped.txt")
    info.size = 1
    return archive_with(environment_files(), info)


def _absolute_name() -> bytes:
    info = tarfile.TarInfo("/tmp/openproton-absolute.txt")
    info.size = 1
    return archive_with(environment_files(), info)


def _leaving_link() -> bytes:
    info = tarfile.TarInfo("bundle/infrastructure/passwd")
    info.type = tarfile.SYMTYPE
    info.linkname = "../../../../etc/passwd"
    return archive_with(environment_files(), info)


def _device() -> bytes:
    info = tarfile.TarInfo("bundle/infrastructure/null")
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    return archive_with(environment_files(), info)


def _non_utf8_name() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT, encoding="latin-1") as tar:
        for name, content in environment_files().items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"bundle/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("bundle/caf\xe9.txt")
        info.size = 0
        tar.addfile(info, io.BytesIO(b""))
    return buffer.getvalue()


NOT_ALLOWED = "Template bundle contains an entry that is not allowed: "

CASES: list[tuple[str, Callable[[], Any], str]] = [
    ("over 5 MB", lambda: bytes(5 * 2**20 + 1), "Template bundle is larger than 5 MB"),
    ("not gzip", lambda: b"PK\x03\x04 a zip file", "Template bundle is not a valid gzipped tar archive"),
    (
        "gzip, not tar",
        lambda: gzip.compress(b"hello world" * 100),
        "Template bundle is not a valid gzipped tar archive",
    ),
    ("over 1000 entries", _many_entries, "Template bundle expands beyond 50 MB or 1000 entries"),
    ("over 50 MB unpacked", _expanding, "Template bundle expands beyond 50 MB or 1000 entries"),
    ("../ in a name", _escaping_name, NOT_ALLOWED + "bundle/../../escaped.txt"),
    ("an absolute name", _absolute_name, NOT_ALLOWED + "/tmp/openproton-absolute.txt"),
    ("a link that leaves", _leaving_link, NOT_ALLOWED + "bundle/infrastructure/passwd"),
    ("a device", _device, NOT_ALLOWED + "bundle/infrastructure/null"),
    ("a name not UTF-8", _non_utf8_name, NOT_ALLOWED + "bundle/caf\ufffd.txt"),
    ("no schema", lambda: _without("schema/schema.yaml"), "Template bundle is missing schema/schema.yaml"),
    (
        "schema over 50 KB",
        lambda: _with(schema__schema_DOT_yaml=ENVIRONMENT_SCHEMA + "#" * 51200),
        "Template schema is larger than 50 KB",
    ),
    (
        "schema not YAML",
        lambda: _with(schema__schema_DOT_yaml="schema: [unclosed\n"),
        "Template schema is not valid: while parsing a flow sequence, expected ',' or ']', but got '<stream end>' "
        "at line 2, column 1",
    ),
    (
        "schema with an alias",
        lambda: _with(schema__schema_DOT_yaml="a: &x 1\nb: *x\n"),
        "Template schema is not valid: anchors and aliases are not allowed at line 1, column 4",
    ),
    (
        "schema not a mapping",
        lambda: _with(schema__schema_DOT_yaml="- a list\n"),
        "Template schema is not valid: not a mapping at line 1, column 1",
    ),
    (
        "openapi not 3.0.0",
        lambda: _with(schema__schema_DOT_yaml=_schema(format={"openapi": "3.1.0"})),
        'Template schema is not valid: schema.format.openapi must be "3.0.0"',
    ),
    (
        "no types",
        lambda: _with(schema__schema_DOT_yaml=_schema(types=None)),
        "Template schema is not valid: Missing property [types]",
    ),
    (
        "no environment input type",
        lambda: _with(schema__schema_DOT_yaml=_schema(environment_input_type=None)),
        "Template schema is not valid: Missing property [environmentInputType]",
    ),
    (
        "a service input type in an environment template",
        lambda: _with(schema__schema_DOT_yaml=_schema(service_input_type="PublicEnvironmentInput")),
        "Template schema is not valid: service_input_type is not allowed in this template",
    ),
    (
        "input type undefined",
        lambda: _with(schema__schema_DOT_yaml=_schema(environment_input_type="Nothing")),
        "Template schema is not valid: type Nothing is not defined",
    ),
    (
        "input type without properties",
        lambda: _with(schema__schema_DOT_yaml=schema_with("In", {})),
        "Template schema is not valid: In must be an object with at least one property",
    ),
    (
        "a property of no known type",
        lambda: _with(schema__schema_DOT_yaml=schema_with("In", {"size": {"type": "text"}})),
        "Template schema is not valid: In.size: type must be one of string, number, integer, boolean, array, object",
    ),
    (
        "a pattern that does not compile",
        lambda: _with(schema__schema_DOT_yaml=schema_with("In", {"size": {"type": "string", "pattern": "(["}})),
        "Template schema is not valid: In.size: pattern is not a valid regular expression",
    ),
    (
        "no manifest",
        lambda: _without("infrastructure/manifest.yaml"),
        "Template manifest is not valid: infrastructure/manifest.yaml is missing",
    ),
    (
        "manifest not YAML",
        lambda: _with(infrastructure__manifest_DOT_yaml="infrastructure: [\n"),
        "Template manifest is not valid: infrastructure/manifest.yaml: not valid YAML at line 2, column 1: while "
        "parsing a flow node, expected the node content, but found '<stream end>'",
    ),
    (
        "manifest of another shape",
        lambda: _with(infrastructure__manifest_DOT_yaml="templates: []\n"),
        "Template manifest is not valid: infrastructure/manifest.yaml: infrastructure.templates must be a list of "
        "templates",
    ),
    (
        "a named file missing",
        lambda: _with(infrastructure__manifest_DOT_yaml=manifest("main.yaml")),
        "Template manifest is not valid: infrastructure/main.yaml does not exist",
    ),
    (
        "a template over 200 KB",
        lambda: _with(infrastructure__cloudformation_DOT_yaml="#" * (200 * 1024 + 1)),
        "Template file infrastructure/cloudformation.yaml is larger than 200 KB",
    ),
    (
        "a template not UTF-8",
        lambda: _with(infrastructure__cloudformation_DOT_yaml=b"caf\xe9"),
        "Template file infrastructure/cloudformation.yaml is not UTF-8 text",
    ),
    (
        "a template that is not Jinja",
        lambda: _with(infrastructure__cloudformation_DOT_yaml="Resources:\n  X: {{ environment.name \n"),
        "Template file infrastructure/cloudformation.yaml is not a valid Jinja template: line 2: unexpected end of "
        "template, expected 'end of print statement'.",
    ),
]


@pytest.mark.parametrize(("files", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_failed_check_is_the_version_status_message(
    bundles: Bundles, files: Callable[[], Any], message: str
) -> None:
    version = bundles.register("vpc", files())
    assert (version["status"], version["statusMessage"]) == ("REGISTRATION_FAILED", message)
    assert "schema" not in version


def test_customer_managed_environment_templates_must_not_include_infrastructure(bundles: Bundles) -> None:
    files = environment_files()
    files["schema/schema.yaml"] = schema_with("Outputs", {"vpc_id": {"type": "string"}})
    version = bundles.register("byo", files, provisioning="CUSTOMER_MANAGED")
    assert version["statusMessage"] == "Customer managed environment templates must not include infrastructure files"


def test_a_customer_managed_schema_takes_only_strings_without_defaults(bundles: Bundles) -> None:
    files = {"schema/schema.yaml": ENVIRONMENT_SCHEMA}
    version = bundles.register("byo", files, provisioning="CUSTOMER_MANAGED")
    assert version["statusMessage"] == (
        "Template schema is not valid: PublicEnvironmentInput.vpc_cidr: only string properties without defaults "
        "are allowed"
    )
    good = {"schema/schema.yaml": schema_with("Outputs", {"vpc_id": {"type": "string"}})}
    assert bundles.register("byo2", good, provisioning="CUSTOMER_MANAGED")["status"] == "DRAFT"


def test_more_than_ten_terraform_files_are_refused(bundles: Bundles) -> None:
    files: dict[str, str | bytes] = {
        "schema/schema.yaml": ENVIRONMENT_SCHEMA,
        "infrastructure/manifest.yaml": "infrastructure:\n  templates:\n    - file: '*'\n      rendering_engine: hcl\n"
        "      template_language: terraform\n",
        **{f"infrastructure/f{i}.tf": "# nothing\n" for i in range(11)},
    }
    assert bundles.register("tf", files)["statusMessage"] == "Template bundle has more than 10 template files"


# -- service templates ----------------------------------------------------------------------------------------


def test_a_service_bundle_registers_with_its_pipeline(bundles: Bundles) -> None:
    bundles.publish("env", environment_files())
    version = bundles.register_service_template("web", service_files(), environment_template="env")
    assert version["status"] == "DRAFT"
    assert "pipeline_input_type" in version["schema"]


def test_a_service_template_with_a_pipeline_needs_the_pipeline_input_type(bundles: Bundles) -> None:
    bundles.publish("env", environment_files())
    files = service_files()
    files["schema/schema.yaml"] = service_files(pipeline=False)["schema/schema.yaml"]
    version = bundles.register_service_template("web", files, environment_template="env")
    assert version["statusMessage"] == "Template schema is not valid: Missing property [pipelineInputType]"


def test_a_service_template_without_a_pipeline_must_not_define_one(bundles: Bundles) -> None:
    bundles.publish("env", environment_files())
    files = service_files(pipeline=False)
    files["pipeline_infrastructure/manifest.yaml"] = manifest()
    version = bundles.register_service_template("web", files, environment_template="env", pipeline=False)
    assert version["statusMessage"] == "Service template does not include a pipeline, but the bundle defines one"


def test_a_service_bundle_needs_its_instance_manifest(bundles: Bundles) -> None:
    bundles.publish("env", environment_files())
    files = {k: v for k, v in service_files().items() if not k.startswith("instance_infrastructure/")}
    version = bundles.register_service_template("web", files, environment_template="env")
    assert version["statusMessage"] == (
        "Template manifest is not valid: instance_infrastructure/manifest.yaml is missing"
    )


def test_without_a_bundle_source_nothing_is_fetched_or_checked(world: Any) -> None:
    """B-3: T-2 stays the default; a source naming nothing registers, and any spec is taken."""
    client = world.client("222222222222")
    client.create_environment_template(name="vpc")
    client.create_environment_template_version(templateName="vpc", source={"s3": {"bucket": "nowhere", "key": "thing"}})
    version = client.get_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="0")
    assert version["environmentTemplateVersion"]["status"] == "DRAFT"
    assert "schema" not in version["environmentTemplateVersion"]


def test_hostile_entries_write_nothing_anywhere(bundles: Bundles) -> None:
    """P-25: archives are read in memory; no entry lands on disk, inside the bundle directory or out of it."""
    for make in (_escaping_name, _absolute_name, _leaving_link, _device):
        client = bundles.client
        name = f"hostile-{make.__name__.strip('_').replace('_', '-')}"
        client.create_environment_template(name=name)
        client.create_environment_template_version(templateName=name, source=bundles.source(make()))
        status = client.get_environment_template_version(templateName=name, majorVersion="1", minorVersion="0")
        assert status["environmentTemplateVersion"]["status"] == "REGISTRATION_FAILED"
    assert not Path("/tmp/openproton-absolute.txt").exists()
    assert not (bundles.directory.parent / "escaped.txt").exists()
    assert not any(p.name in ("escaped.txt", "passwd", "null") for p in bundles.directory.rglob("*"))


def test_a_bundle_directory_applies_the_bucket_map_to_its_buckets(tmp_path: Path) -> None:
    """[decided] B-14: `--bundle-dir` serves only the buckets the caller's account may name, as S3 does."""
    import json

    from bundles.bundle_library import put
    from openproton import Settings, mock_proton
    from support import make_client

    buckets = tmp_path / "buckets.json"
    buckets.write_text(json.dumps({"222222222222": ["team-*"]}))
    mine = put(tmp_path / "dir", "team-a", "env.tar.gz", archive(environment_files()))
    theirs = put(tmp_path / "dir", "templates", "env.tar.gz", archive(environment_files()))
    settings = Settings(bundle_dir=str(tmp_path / "dir"), bundle_buckets_file=str(buckets))
    with mock_proton(settings=settings):
        client = make_client(None, "222222222222", "us-east-1")
        client.create_environment_template(name="vpc")
        for source in (mine, theirs):
            client.create_environment_template_version(templateName="vpc", source=source)
        versions = client.list_environment_template_versions(templateName="vpc")["templateVersions"]
        assert [v["status"] for v in versions] == ["DRAFT", "REGISTRATION_FAILED"]
        failed = client.get_environment_template_version(templateName="vpc", majorVersion="2", minorVersion="0")
        assert failed["environmentTemplateVersion"]["statusMessage"] == (
            "Unable to fetch template bundle from s3://templates/env.tar.gz: bucket not allowed for account "
            "222222222222"
        )
