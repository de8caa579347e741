"""Proton ARNs: arn:<partition>:proton:<region>:<account>:<resource-type>/<id> [doc]."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARN = re.compile(r"arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>\d{12}):(?P<resource>.+)")


def partition_for(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def build(region: str, account_id: str, resource_type: str, resource_id: str) -> str:
    return f"arn:{partition_for(region)}:proton:{region}:{account_id}:{resource_type}/{resource_id}"


@dataclass(frozen=True, slots=True)
class ProtonArn:
    partition: str
    region: str
    account_id: str
    resource_type: str
    resource_id: str


def parse(arn: str) -> ProtonArn | None:
    """The parts of a Proton ARN, or None for anything that is not one."""
    match = _ARN.fullmatch(arn)
    if match is None or match["service"] != "proton":
        return None
    resource_type, slash, resource_id = match["resource"].partition("/")
    if not slash or not resource_id:
        return None
    region = match["region"]
    if match["partition"] != partition_for(region):
        return None
    return ProtonArn(match["partition"], region, match["account"], resource_type, resource_id)
