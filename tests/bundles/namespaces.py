"""The namespaces the rendering tests render with, one per target type (P-1), shared by their modules."""

ENVIRONMENT_NS = {"environment": {"name": "dev", "inputs": {"vpc_cidr": "10.0.0.0/16", "nat": True, "azs": 2}}}
ENV_REF = {"name": "dev", "account_id": "123456789012", "outputs": {"VpcId": "vpc-1", "ClusterName": "c1"}}
INSTANCE_NS = {
    "service": {"name": "svc"},
    "service_instance": {
        "name": "inst",
        "inputs": {"port": 80, "ratio": 0.5, "public": False, "subnets": ["a", "b"], "tags": {"team": "x"}},
        "components": {"default": {"name": "comp", "outputs": {"Output1": "hello", "Output2": "world"}}},
        "environment": ENV_REF,
    },
    "environment": ENV_REF,
}
NO_COMPONENT_NS = {**INSTANCE_NS, "service_instance": {**INSTANCE_NS["service_instance"], "components": {}}}
PIPELINE_NS = {
    "pipeline": {"inputs": {"unit_test_command": "make test"}},
    "service": {
        "name": "svc",
        "branch_name": "main",
        "repository_connection_arn": "arn:aws:codestar-connections:us-east-1:123456789012:connection/x",
        "repository_id": "acme/app",
    },
    "service_instances": {
        "one": {"name": "one", "inputs": {"port": 80}, "outputs": {"Url": "http://one"}, "environment": ENV_REF},
        "two": {"name": "two", "inputs": {"port": 81}, "outputs": {"Url": "http://two"}, "environment": ENV_REF},
    },
}
COMPONENT_NS = {
    "component": {"name": "comp"},
    "environment": ENV_REF,
    "service": {"name": "svc"},
    "service_instance": {"name": "inst", "inputs": {"port": 80}},
}
