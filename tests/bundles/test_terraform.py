"""Terraform (P-4) and CodeBuild (P-5) folders: the generated files, compared whole with goldens."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundles.namespaces import COMPONENT_NS, ENVIRONMENT_NS, INSTANCE_NS, NO_COMPONENT_NS, PIPELINE_NS
from openproton.bundles.model import CODEBUILD, ENVIRONMENT_FOLDER, INSTANCE_FOLDER, TERRAFORM, Folder, RenderTarget
from openproton.bundles.render import render_folder
from openproton.bundles.terraform import hcl_inputs, header, jackson_json

GOLDEN = Path(__file__).parent / "golden"
ACCOUNT = "123456789012"
ARNS = {
    "environment": f"arn:aws:proton:us-east-1:{ACCOUNT}:environment/dev",
    "service_instance": f"arn:aws:proton:us-east-1:{ACCOUNT}:service/svc/service-instance/inst",
    "pipeline": f"arn:aws:proton:us-east-1:{ACCOUNT}:service/svc/pipeline",
    "component": f"arn:aws:proton:us-east-1:{ACCOUNT}:component/comp",
}
TAGS = {
    "environment": {
        "proton:account": ACCOUNT,
        "proton:template": f"arn:aws:proton:us-east-1:{ACCOUNT}:environment-template/vpc",
        "proton:environment": ARNS["environment"],
    },
    "service_instance": {
        "proton:account": ACCOUNT,
        "proton:service": f"arn:aws:proton:us-east-1:{ACCOUNT}:service/svc",
    },
}
CASES = {
    "environment": ENVIRONMENT_NS,
    "service_instance": INSTANCE_NS,
    "service_instance-no-component": NO_COMPONENT_NS,
    "pipeline": PIPELINE_NS,
    "component": COMPONENT_NS,
}
MAIN_TF = b'resource "aws_ssm_parameter" "p" {\n  name  = "p"\n  value = var.environment.inputs.vpc_cidr\n}\n'


def target(case: str) -> RenderTarget:
    type_ = case.removesuffix("-no-component")
    return RenderTarget(type_, ARNS[type_], CASES[case], TAGS.get(type_, {}))


@pytest.mark.parametrize("case", list(CASES))
def test_terraform_golden(case: str) -> None:
    folder = Folder(ENVIRONMENT_FOLDER, TERRAFORM, {"main.tf": MAIN_TF, "README.md": b"x"}, ("main.tf",))
    files = render_folder(folder, target(case))
    type_ = case.removesuffix("-no-component")
    assert [f.path for f in files] == ["main.tf", f"proton.{type_}.variables.tf", "proton.auto.tfvars.json"]
    assert files[0].content == header(ARNS[type_]) + MAIN_TF.decode()
    assert files[1].content == (GOLDEN / f"tf-{case}.variables.tf").read_text()
    assert files[2].content == (GOLDEN / f"tf-{case}.tfvars.json").read_text()


def test_header_matches_proton() -> None:
    assert header("arn:x") == (
        "/*\nThis file is managed by AWS Proton. Any changes made directly to this file will be overwritten the next"
        " time AWS Proton performs an update.\n\nTo manage this resource, see AWS Proton Resource: arn:x\n\nIf the"
        " resource is no longer accessible within AWS Proton, it may have been deleted and may require manual"
        " cleanup.\n*/\n\n"
    )


def test_service_without_repository_is_just_a_name() -> None:
    files = render_folder(Folder(INSTANCE_FOLDER, TERRAFORM, {"a.tf": b""}, ("a.tf",)), target("service_instance"))
    assert 'variable "service" {\n  type = object({\n    name = string\n  })\n}\n' in files[1].content


@pytest.mark.parametrize("case", ["environment", "service_instance", "pipeline"])
def test_codebuild_golden(case: str) -> None:
    files = {"manifest.yaml": b"infrastructure: {}\n", "src/app.sh": b"echo hi\n", "logo.png": b"\x89PNG\xff\xfe"}
    for input_type, name, golden in (
        ("JSON", "proton-inputs.json", f"cb-{case}.proton-inputs.json"),
        ("HCL", "proton-inputs.tfvars", f"cb-{case}.proton-inputs.tfvars"),
    ):
        folder = Folder(INSTANCE_FOLDER, CODEBUILD, files, (), input_type=input_type, provision=("bash src/app.sh",))
        rendered = render_folder(folder, target(case))
        assert [(f.path, f.content) for f in rendered[:2]] == [
            ("manifest.yaml", "infrastructure: {}\n"),
            ("src/app.sh", "echo hi\n"),
        ]
        assert [f.path for f in rendered] == ["manifest.yaml", "src/app.sh", name]  # logo.png: not text
        assert rendered[2].content == (GOLDEN / golden).read_text()


def test_jackson_style() -> None:
    value = {"a": [], "b": {}, "c": [1, 2.5, True, None], "d": [{"x": 1}, {"y": [{"z": "q"}]}], "e": 'q"\\\n\x01/é'}
    assert jackson_json(value) == (
        '{\n  "a" : [ ],\n  "b" : { },\n  "c" : [ 1, 2.5, true, null ],\n  "d" : [ {\n    "x" : 1\n  }, {\n'
        '    "y" : [ {\n      "z" : "q"\n    } ]\n  } ],\n  "e" : "q\\"\\\\\\n\\u0001/é"\n}'
    )
    assert jackson_json({}) == "{ }"


@pytest.mark.parametrize(
    ("number", "text"),
    [(1.0, "1.0"), (0.5, "0.5"), (1e7, "1.0E7"), (1.5e-5, "1.5E-5"), (123456.75, "123456.75"), (-2e20, "-2.0E20")],
)
def test_jackson_doubles(number: float, text: str) -> None:
    assert jackson_json(number) == text


def test_hcl_escapes_templates_and_quotes_keys() -> None:
    assert hcl_inputs({"a": {"k-1": "${x} %{y}", "proton:tag": [1, True, None]}}) == (
        'a = {\n  k-1          = "$${x} %%{y}"\n  "proton:tag" = [1, true, null]\n}\n'
    )
