"""The bundles the tests register: built here, file by file, as template authors lay them out (AWS's samples).

`environment_files()` and `service_files()` give a good bundle's files as a dict; a test changes one file to
make the bundle it needs, and `archive()` packs it as `tar -czf` would, under one top-level directory.
"""

from __future__ import annotations

import io
import tarfile
import textwrap
from collections.abc import Mapping
from pathlib import Path

import yaml

# AWS's public sample: an environment whose VPC takes a CIDR (its pattern is a search, B-10).
ENVIRONMENT_SCHEMA = textwrap.dedent(
    """\
    schema:
      format:
        openapi: "3.0.0"
      environment_input_type: "PublicEnvironmentInput"
      types:
        PublicEnvironmentInput:
          type: object
          description: "Input properties for my environment"
          properties:
            vpc_cidr:
              type: string
              description: "This CIDR range for your VPC"
              default: 10.0.0.0/16
              pattern: ([0-9]{1,3}\\.){3}[0-9]{1,3}($|/(16|24))
            subnet_one_cidr:
              type: string
              default: 10.0.0.0/24
              pattern: ([0-9]{1,3}\\.){3}[0-9]{1,3}($|/(16|24))
    """
)

CLOUDFORMATION_MANIFEST = textwrap.dedent(
    """\
    infrastructure:
      templates:
        - file: "cloudformation.yaml"
          rendering_engine: jinja
          template_language: cloudformation
    """
)

ENVIRONMENT_CLOUDFORMATION = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: '2010-09-09'
    Description: The environment {{ environment.name }}
    Resources:
      VPC:
        Type: AWS::EC2::VPC
        Properties:
          CidrBlock: '{{ environment.inputs.vpc_cidr }}'
      PublicSubnetOne:
        Type: AWS::EC2::Subnet
        Properties:
          VpcId: !Ref VPC
          CidrBlock: '{{ environment.inputs.subnet_one_cidr }}'
    Outputs:
      VpcId:
        Value: !Ref VPC
    """
)

SERVICE_SCHEMA = textwrap.dedent(
    """\
    schema:
      format:
        openapi: "3.0.0"
      service_input_type: "LoadBalancedServiceInput"
      pipeline_input_type: "PipelineInputs"
      types:
        LoadBalancedServiceInput:
          type: object
          properties:
            port:
              type: number
              default: 80
              minimum: 0
              maximum: 65535
            desired_count:
              type: number
              default: 1
            image:
              type: string
              default: "public.ecr.aws/z9d2n7e1/nginx:1.19.5"
              minLength: 1
          required:
            - image
        PipelineInputs:
          type: object
          properties:
            service_dir:
              type: string
              default: ecs-static-website
              minLength: 1
              maxLength: 100
    """
)

INSTANCE_CLOUDFORMATION = textwrap.dedent(
    """\
    Resources:
      Service:
        Type: AWS::ECS::Service
        Properties:
          ServiceName: '{{ service.name }}_{{ service_instance.name }}'
          DesiredCount: {{ service_instance.inputs.desired_count }}
          Port: {{ service_instance.inputs.port }}
          Image: '{{ service_instance.inputs.image }}'
          Vpc: '{{ environment.outputs.VpcId | default("none") }}'
          Environment: {{ environment.name }}
    """
)

PIPELINE_CLOUDFORMATION = textwrap.dedent(
    """\
    Resources:
      Pipeline:
        Type: AWS::CodePipeline::Pipeline
        Properties:
          Directory: '{{ pipeline.inputs.service_dir }}'
    {%- for name, instance in service_instances.items() %}
          # deploys {{ name }} to {{ instance.environment.name }}
    {%- endfor %}
    """
)


def manifest(file: str = "cloudformation.yaml") -> str:
    return CLOUDFORMATION_MANIFEST.replace("cloudformation.yaml", file)


def environment_files(cloudformation: str = ENVIRONMENT_CLOUDFORMATION) -> dict[str, str | bytes]:
    return {
        "schema/schema.yaml": ENVIRONMENT_SCHEMA,
        "infrastructure/manifest.yaml": CLOUDFORMATION_MANIFEST,
        "infrastructure/cloudformation.yaml": cloudformation,
    }


def service_files(*, pipeline: bool = True) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "schema/schema.yaml": SERVICE_SCHEMA,
        "instance_infrastructure/manifest.yaml": CLOUDFORMATION_MANIFEST,
        "instance_infrastructure/cloudformation.yaml": INSTANCE_CLOUDFORMATION,
    }
    if pipeline:
        files["pipeline_infrastructure/manifest.yaml"] = CLOUDFORMATION_MANIFEST
        files["pipeline_infrastructure/cloudformation.yaml"] = PIPELINE_CLOUDFORMATION
    else:
        schema = yaml.safe_load(SERVICE_SCHEMA)
        del schema["schema"]["pipeline_input_type"]
        del schema["schema"]["types"]["PipelineInputs"]
        files["schema/schema.yaml"] = yaml.safe_dump(schema, sort_keys=False)
    return files


def schema_with(input_type: str, properties: Mapping[str, object], **extra: object) -> str:
    """An environment schema whose one input type has these properties (and `required` etc. in `extra`)."""
    document = {
        "schema": {
            "format": {"openapi": "3.0.0"},
            "environment_input_type": input_type,
            "types": {input_type: {"type": "object", "properties": dict(properties), **extra}},
        }
    }
    return yaml.safe_dump(document, sort_keys=False)


def archive(files: Mapping[str, str | bytes], *, root: str | None = "bundle") -> bytes:
    """A gzipped tar of `files`, under the top-level directory `root` (None: at the archive's root)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{root}/{name}" if root else name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def archive_with(files: Mapping[str, str | bytes], *extra: tarfile.TarInfo) -> bytes:
    """A good bundle's archive with hostile entries added (links, devices, names that escape)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"bundle/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return buffer.getvalue()


def put(directory: Path, bucket: str, key: str, data: bytes) -> dict[str, str]:
    """Store an archive where `--bundle-dir directory` finds `s3://bucket/key`; the version's `source`."""
    path = directory / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"s3": {"bucket": bucket, "key": key}}
