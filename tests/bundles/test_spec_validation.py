"""Specs checked against their version's schema (B-9 to B-13), through real clients in every mode: each keyword
of B-10's subset accepted and refused, defaults, `${Proton::CURRENT_VAL}`, and the message's shape."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bundles.bundle_library import (
    CLOUDFORMATION_MANIFEST,
    environment_files,
    schema_with,
    service_files,
)
from bundles.bundle_support import PIPELINE_ROLE, Bundles

# One input per keyword; `name` is required, so every spec below gives it.
PROPERTIES: dict[str, Any] = {
    "name": {"type": "string"},
    "text": {"type": "string", "minLength": 2, "maxLength": 4},
    "size": {"type": "string", "enum": ["small", "large"]},
    "cidr": {"type": "string", "pattern": "([0-9]{1,3}\\.){3}[0-9]{1,3}($|/(16|24))"},
    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
    "ratio": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": True},
    "enabled": {"type": "boolean"},
    "subnets": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
    "note": {"type": "string", "nullable": True},
    "db": {"$ref": "#/Database"},
    "replicas": {"type": "array", "items": {"$ref": "#/Database"}},
    "tags": {"type": "object", "properties": {"team": {"type": "string"}}, "additionalProperties": False},
    "level": {"type": "string", "default": "info"},
}
DATABASE = {"type": "object", "properties": {"engine": {"type": "string", "enum": ["mysql", "postgres"]}}}


def _schema() -> str:
    document = yaml.safe_load(schema_with("Inputs", PROPERTIES, required=["name"]))
    document["schema"]["types"]["Database"] = {**DATABASE, "required": ["engine"]}
    return yaml.safe_dump(document, sort_keys=False)


CLOUDFORMATION = (
    "Name: {{ environment.inputs.name }}\nLevel: {{ environment.inputs.level }}\nInputs: {{ environment.inputs }}\n"
)


@pytest.fixture
def keywords(bundles: Bundles) -> Bundles:
    files = {
        "schema/schema.yaml": _schema(),
        "infrastructure/manifest.yaml": CLOUDFORMATION_MANIFEST,
        "infrastructure/cloudformation.yaml": CLOUDFORMATION,
    }
    bundles.publish("keywords", files)
    return bundles


def _spec(**inputs: Any) -> str:
    return yaml.safe_dump({"proton": "EnvironmentSpec", "spec": {"name": "web", **inputs}}, sort_keys=False)


ACCEPTED = [
    ("minLength and maxLength", {"text": "abcd"}),
    ("enum", {"size": "large"}),
    ("pattern is a search", {"cidr": "10.0.0.0/16"}),
    ("pattern's $ before a final newline", {"cidr": "10.0.0.0\n"}),
    ("integer bounds", {"port": 65535}),
    ("number takes integers", {"ratio": 0}),
    ("exclusive maximum", {"ratio": 0.99}),
    ("boolean", {"enabled": False}),
    ("array items and bounds", {"subnets": ["a", "b"]}),
    ("nullable null", {"note": None}),
    ("$ref object", {"db": {"engine": "postgres"}}),
    ("$ref in array items", {"replicas": [{"engine": "mysql"}]}),
    ("nested object", {"tags": {"team": "infra"}}),
    ("inputs not in the schema", {"unknown": [1, 2]}),
]

REFUSED = [
    ("minLength", {"text": "a"}, "spec.text: must have value greater than or equal to 2"),
    ("maxLength", {"text": "abcde"}, "spec.text: must have value less than or equal to 4"),
    ("enum", {"size": "medium"}, "spec.size: must be one of [small, large]"),
    ("pattern", {"cidr": "ten"}, "spec.cidr: must match pattern ([0-9]{1,3}\\.){3}[0-9]{1,3}($|/(16|24))"),
    ("string refuses 80", {"name": 80}, "spec.name: must be of type string"),
    ("integer refuses 1.5", {"port": 1.5}, "spec.port: must be of type integer"),
    ("minimum", {"port": 0}, "spec.port: must have value greater than or equal to 1"),
    ("maximum", {"port": 70000}, "spec.port: must have value less than or equal to 65535"),
    ("exclusive maximum", {"ratio": 1}, "spec.ratio: must have value less than 1"),
    ("number refuses booleans", {"ratio": True}, "spec.ratio: must be of type number"),
    ("boolean refuses strings", {"enabled": "yes please"}, "spec.enabled: must be of type boolean"),
    ("items", {"subnets": ["a", 3]}, "spec.subnets[1]: must be of type string"),
    ("minItems", {"subnets": []}, "spec.subnets: must have value greater than or equal to 1"),
    ("maxItems", {"subnets": ["a", "b", "c"]}, "spec.subnets: must have value less than or equal to 2"),
    ("$ref required", {"db": {}}, "spec.db.engine: is required"),
    (
        "$ref in array items",
        {"replicas": [{"engine": "oracle"}]},
        "spec.replicas[0].engine: must be one of [mysql, postgres]",
    ),
    ("additionalProperties false", {"tags": {"owner": "me"}}, "spec.tags.owner: is not allowed by the schema"),
    ("nested type", {"tags": {"team": 7}}, "spec.tags.team: must be of type string"),
]


@pytest.mark.parametrize(("inputs"), [case[1] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED])
def test_a_spec_within_the_schema_is_accepted(keywords: Bundles, inputs: dict[str, Any]) -> None:
    environment = keywords.create_environment("dev", "keywords", _spec(**inputs))
    assert environment["deploymentStatus"] == "IN_PROGRESS"
    assert keywords.client.get_environment(name="dev")["environment"]["deploymentStatus"] == "SUCCEEDED"


@pytest.mark.parametrize(("inputs", "problem"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_a_spec_outside_the_schema_is_refused_naming_the_input(
    keywords: Bundles, inputs: dict[str, Any], problem: str
) -> None:
    with pytest.raises(keywords.client.exceptions.ValidationException) as refused:
        keywords.create_environment("dev", "keywords", _spec(**inputs))
    assert refused.value.response["Error"]["Message"] == f"Invalid spec: 1 validation error detected: {problem}"
    # [live] nothing is stored
    assert keywords.client.list_environments()["environments"] == []


def test_a_missing_required_input_and_the_structure_are_reported_together_in_path_order(keywords: Bundles) -> None:
    spec = "proton: ServiceSpec\nspec:\n  port: zero\n  size: tiny\n"
    with pytest.raises(keywords.client.exceptions.ValidationException) as refused:
        keywords.create_environment("dev", "keywords", spec)
    assert refused.value.response["Error"]["Message"] == (
        "Invalid spec: 4 validation errors detected: proton: must be EnvironmentSpec; spec.name: is required; "
        "spec.port: must be of type integer; spec.size: must be one of [small, large]"
    )


def test_values_are_never_echoed(keywords: Bundles) -> None:
    with pytest.raises(keywords.client.exceptions.ValidationException) as refused:
        keywords.create_environment("dev", "keywords", _spec(size="s3cr3t-value"))
    assert "s3cr3t-value" not in refused.value.response["Error"]["Message"]


def test_more_than_ten_problems_are_counted_after_the_tenth(keywords: Bundles) -> None:
    bad = {key: 12345 for key in ("text", "size", "cidr", "enabled", "note", "level", "subnets", "db", "tags")}
    bad.update(port="x", ratio="x", replicas="x")
    with pytest.raises(keywords.client.exceptions.ValidationException) as refused:
        keywords.create_environment("dev", "keywords", _spec(**bad))
    message = refused.value.response["Error"]["Message"]
    assert message.startswith("Invalid spec: 12 validation errors detected: spec.cidr: must be of type string; ")
    assert message.endswith("; and 2 more")
    assert message.count(": must be of type") == 10


def test_yaml_errors_say_where(keywords: Bundles) -> None:
    with pytest.raises(keywords.client.exceptions.ValidationException) as refused:
        keywords.create_environment("dev", "keywords", "proton: EnvironmentSpec\nspec: [\n")
    assert refused.value.response["Error"]["Message"].startswith("Invalid spec: not valid YAML at line 3, column 1: ")


def test_defaults_are_filled_in_schema_order_and_the_stored_spec_is_the_callers(keywords: Bundles) -> None:
    spec = _spec(port=8080)
    environment = keywords.create_environment("dev", "keywords", spec)
    rendered = keywords.rendered(environment["lastAttemptedDeploymentId"], "cloudformation.yaml")
    assert rendered == 'Name: web\nLevel: info\nInputs: {"name":"web","port":8080,"level":"info"}\n'
    assert keywords.client.get_environment(name="dev")["environment"]["spec"] == spec


def test_current_val_keeps_the_value_on_update_and_is_an_error_on_create(keywords: Bundles) -> None:
    with pytest.raises(keywords.client.exceptions.ValidationException) as refused:
        keywords.create_environment("dev", "keywords", _spec(size="${Proton::CURRENT_VAL}"))
    assert refused.value.response["Error"]["Message"] == (
        "Invalid spec: 1 validation error detected: spec.size: has no current value"
    )
    keywords.create_environment("dev", "keywords", _spec(size="large"))
    updated = keywords.client.update_environment(
        name="dev", deploymentType="CURRENT_VERSION", spec=_spec(size="${Proton::CURRENT_VAL}", port=2)
    )["environment"]
    rendered = keywords.rendered(updated["lastAttemptedDeploymentId"], "cloudformation.yaml")
    assert '"size":"large"' in rendered and '"port":2' in rendered


def test_an_update_is_checked_against_the_schema(keywords: Bundles) -> None:
    keywords.create_environment("dev", "keywords", _spec())
    with pytest.raises(keywords.client.exceptions.ValidationException) as refused:
        keywords.client.update_environment(name="dev", deploymentType="CURRENT_VERSION", spec=_spec(port=-1))
    assert refused.value.response["Error"]["Message"] == (
        "Invalid spec: 1 validation error detected: spec.port: must have value greater than or equal to 1"
    )
    assert keywords.client.get_environment(name="dev")["environment"]["spec"] == _spec()


def test_a_version_change_checks_the_current_spec_against_the_target_schema(keywords: Bundles) -> None:
    """B-12: the spec stays, the new version's schema requires an input it lacks."""
    keywords.create_environment("dev", "keywords", _spec())
    stricter = yaml.safe_load(_schema())
    stricter["schema"]["types"]["Inputs"]["required"] = ["name", "size"]
    files = {
        "schema/schema.yaml": yaml.safe_dump(stricter, sort_keys=False),
        "infrastructure/manifest.yaml": CLOUDFORMATION_MANIFEST,
        "infrastructure/cloudformation.yaml": CLOUDFORMATION,
    }
    client = keywords.client
    client.create_environment_template_version(templateName="keywords", majorVersion="1", source=keywords.source(files))
    client.update_environment_template_version(
        templateName="keywords", majorVersion="1", minorVersion="1", status="PUBLISHED"
    )
    with pytest.raises(client.exceptions.ValidationException) as refused:
        client.update_environment(name="dev", deploymentType="MINOR_VERSION")
    assert (
        refused.value.response["Error"]["Message"]
        == "Invalid spec: 1 validation error detected: spec.size: is required"
    )


def test_a_customer_managed_environment_spec_is_checked_against_its_schema(bundles: Bundles) -> None:
    """Its spec gives the outputs of infrastructure provisioned elsewhere [doc]: still inputs of the schema."""
    files = {"schema/schema.yaml": schema_with("Outputs", {"vpc_id": {"type": "string"}})}
    bundles.publish("byo", files, provisioning="CUSTOMER_MANAGED")
    repository = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}
    bundles.client.create_repository(
        provider="GITHUB",
        name="acme/infra",
        connectionArn="arn:aws:codestar-connections:us-east-1:222222222222:connection/x",
    )
    with pytest.raises(bundles.client.exceptions.ValidationException) as refused:
        bundles.client.create_environment(
            name="byo",
            templateName="byo",
            templateMajorVersion="1",
            provisioningRepository=repository,
            spec="proton: EnvironmentSpec\nspec:\n  vpc_id: 12\n",
        )
    assert refused.value.response["Error"]["Message"].endswith("spec.vpc_id: must be of type string")


# -- services: instances and pipelines ----------------------------------------------------------------------


@pytest.fixture
def web(bundles: Bundles) -> Bundles:
    bundles.publish("env", environment_files())
    bundles.publish_service_template("web", service_files(), environment_template="env")
    bundles.create_environment("dev", "env", "proton: EnvironmentSpec\n")
    bundles.client.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)
    return bundles


# A service with a pipeline names its source repository [doc].
SOURCE = {
    "repositoryConnectionArn": "arn:aws:codestar-connections:us-east-1:222222222222:connection/0a1b2c3d",
    "repositoryId": "acme/shop",
    "branchName": "main",
}


def _service_spec(instance: dict[str, Any] | None = None, pipeline: dict[str, Any] | None = None) -> str:
    document: dict[str, Any] = {
        "proton": "ServiceSpec",
        "instances": [{"name": "web-dev", "environment": "dev", "spec": {"image": "nginx", **(instance or {})}}],
        "pipeline": pipeline or {},
    }
    return yaml.safe_dump(document, sort_keys=False)


def test_create_service_checks_each_instance_and_the_pipeline(web: Bundles) -> None:
    with pytest.raises(web.client.exceptions.ValidationException) as refused:
        web.client.create_service(
            name="shop",
            templateName="web",
            templateMajorVersion="1",
            spec=_service_spec({"port": "eighty"}, {"service_dir": ""}),
            **SOURCE,
        )
    assert refused.value.response["Error"]["Message"] == (
        "Invalid spec: 2 validation errors detected: instances[web-dev].spec.port: must be of type number; "
        "pipeline.service_dir: must have value greater than or equal to 1"
    )
    assert web.client.list_services()["services"] == []


def test_instance_and_pipeline_updates_are_checked(web: Bundles) -> None:
    client = web.client
    client.create_service(name="shop", templateName="web", templateMajorVersion="1", spec=_service_spec(), **SOURCE)
    client.get_waiter("service_created").wait(name="shop", WaiterConfig={"Delay": 1, "MaxAttempts": 1})
    with pytest.raises(client.exceptions.ValidationException) as refused:
        client.update_service_instance(
            serviceName="shop",
            name="web-dev",
            deploymentType="CURRENT_VERSION",
            spec=_service_spec({"desired_count": [1]}),
        )
    assert refused.value.response["Error"]["Message"] == (
        "Invalid spec: 1 validation error detected: instances[web-dev].spec.desired_count: must be of type number"
    )
    with pytest.raises(client.exceptions.ValidationException) as refused:
        client.update_service_pipeline(
            serviceName="shop", deploymentType="CURRENT_VERSION", spec=_service_spec(pipeline={"service_dir": 5})
        )
    assert refused.value.response["Error"]["Message"] == (
        "Invalid spec: 1 validation error detected: pipeline.service_dir: must be of type string"
    )
    with pytest.raises(client.exceptions.ValidationException) as refused:
        client.create_service_instance(
            serviceName="shop",
            name="web-two",
            spec=yaml.safe_dump(
                {"proton": "ServiceSpec", "instances": [{"name": "web-two", "environment": "dev", "spec": {}}]}
            ),
        )
    assert refused.value.response["Error"]["Message"] == (
        "Invalid spec: 1 validation error detected: instances[web-two].spec.image: is required"
    )


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (
            "proton: EnvironmentSpec\nspec: !!python/object/apply:os.system ['true']\n",
            "only standard YAML tags are allowed",
        ),
        ("proton: EnvironmentSpec\nspec: &inputs\n  name: a\nagain: *inputs\n", "anchors and aliases are not allowed"),
    ],
    ids=["a python tag", "an alias"],
)
def test_yaml_that_reaches_past_plain_data_is_refused(keywords: Bundles, spec: str, problem: str) -> None:
    """B-9: safe_load only, and no aliases: a spec never constructs objects or expands references."""
    with pytest.raises(keywords.client.exceptions.ValidationException) as refused:
        keywords.create_environment("dev", "keywords", spec)
    message = refused.value.response["Error"]["Message"]
    assert message.startswith("Invalid spec: not valid YAML at line 2, column 7: ")
    assert message.endswith(problem)
