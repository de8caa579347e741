"""CreateComponent and the component object (components.md, "The object" and "CreateComponent"; C-1 to C-8), in
every mode unless a test says otherwise."""

from __future__ import annotations

from openproton import mock_proton
from openproton.settings import Settings
from services.service_helpers import (
    UUID4,
    connected,
    create_service,
    deployments,
    environment,
    get_deployment,
    missing_instance,
    proton,
    refused,
    settle_all,
    spec_of,
    template_version,
)
from support import InProcessWorld, World

from .component_helpers import (
    COMPONENT_ROLE,
    DEV,
    MANIFEST,
    SERVICE_SPEC,
    TEMPLATE_FILE,
    TERRAFORM_MANIFEST,
    TWO,
    component_arn,
    component_names,
    component_world,
    create_component,
    detached,
    get_component,
    missing_component,
    without,
)

REPOSITORY = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}
NO_ROLE = "Environment {} has no component role; directly defined components aren't allowed in it"


def test_create_attached_answers_in_progress_and_then_shows_its_attachment(world: World) -> None:
    component_world(world)
    created = create_component(world, serviceSpec=SERVICE_SPEC, description="the queue", clientToken="token-1")
    deployment_id = created["lastAttemptedDeploymentId"]
    assert UUID4.fullmatch(deployment_id)
    assert created == {
        "arn": component_arn("queue"),
        "name": "queue",
        "description": "the queue",
        "environmentName": "dev",  # the instance's
        "serviceName": "shop",
        "serviceInstanceName": "shop-dev",
        "serviceSpec": SERVICE_SPEC,
        "deploymentStatus": "IN_PROGRESS",
        "lastAttemptedDeploymentId": deployment_id,
        "lastDeploymentAttemptedAt": created["createdAt"],
        "lastClientRequestToken": "token-1",
        "createdAt": created["createdAt"],
        "lastModifiedAt": created["lastModifiedAt"],
    }
    # C-2: the success members appear once one succeeds; manifest and templateFile are never returned.
    got = get_component(world)
    assert got == {
        **created,
        "deploymentStatus": "SUCCEEDED",
        "lastSucceededDeploymentId": deployment_id,
        "lastDeploymentSucceededAt": got["lastDeploymentSucceededAt"],
        "lastModifiedAt": got["lastModifiedAt"],
    }
    assert got["lastDeploymentSucceededAt"] >= got["createdAt"]


def test_create_detached_takes_only_the_environment_and_has_no_inputs(world: World) -> None:
    component_world(world, service=False)
    created = detached(world, "bucket")
    assert without(created, ("createdAt", "lastModifiedAt", "lastDeploymentAttemptedAt")) == {
        "arn": component_arn("bucket"),
        "name": "bucket",
        "environmentName": "dev",
        "deploymentStatus": "IN_PROGRESS",
        "lastAttemptedDeploymentId": created["lastAttemptedDeploymentId"],
        "lastClientRequestToken": created["lastClientRequestToken"],
    }
    got = get_component(world, "bucket")
    assert got["deploymentStatus"] == "SUCCEEDED"
    assert not {"serviceName", "serviceInstanceName", "serviceSpec"} & set(got)


def test_the_model_constraints_come_first_and_sensitive_members_are_never_echoed() -> None:
    # In-process only: the shared front end validates the same way in every mode.
    with mock_proton() as mock:
        world = InProcessWorld(mock)
        long_file = "x" * 51201
        response = world.call(
            "CreateComponent",
            {
                "name": "bad name",
                "manifest": "",
                "templateFile": long_file,
                "description": "d" * 501,
                "serviceSpec": "",
                "serviceName": "shop",  # without serviceServiceInstanceName: a rule, checked only after these
            },
            account="222222222222",
        )
        assert response.status == 400
        assert response.json()["__type"].endswith("#ValidationException")
        message = response.json()["message"]
        assert message.startswith("5 validation errors detected: ")
        for item in (
            "Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression "
            "pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$",
            "Value at 'manifest' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value at 'templateFile' failed to satisfy constraint: Member must have length less than or equal to 51200",
            "Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 500",
            "Value at 'serviceSpec' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ):
            assert item in message
        assert long_file not in message and "ddddd" not in message
        missing = world.call("CreateComponent", {"name": "queue"}, account="222222222222").json()["message"]
        assert "Value null at 'manifest' failed to satisfy constraint: Member must not be null" in missing
        assert "Value null at 'templateFile' failed to satisfy constraint: Member must not be null" in missing


def test_the_names_come_both_or_neither_and_neither_needs_an_environment(world: World) -> None:
    component_world(world)
    client = proton(world)
    base = {"name": "queue", "manifest": MANIFEST, "templateFile": TEMPLATE_FILE}
    for members in (
        {"serviceName": "shop"},
        {"serviceInstanceName": "shop-dev"},
        {"serviceName": "shop", "environmentName": "dev"},
        {},  # neither names nor an environment
        {"environmentName": "dev", "serviceSpec": SERVICE_SPEC},  # inputs only when attaching
        # Step 2 comes before the instance and environment are looked up.
        {"serviceName": "missing"},
        {"environmentName": "missing", "serviceSpec": SERVICE_SPEC},
    ):
        code, _, status = refused(client.create_component, **base, **members)
        assert (code, status) == ("ValidationException", 400), members
    assert component_names(world) == []


def test_attaching_needs_an_instance_that_exists_and_detaching_an_environment_that_exists(world: World) -> None:
    component_world(world)
    assert refused(create_component, world=world, instance="nope") == missing_instance("nope")
    code, _, status = refused(create_component, world=world, service="nope", instance="shop-dev")
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert refused(detached, world=world, environment_name="nope") == (
        "ResourceNotFoundException",
        "The requested environment does not exist: nope",
        400,
    )
    assert component_names(world) == []
    assert refused(proton(world).get_component, name="queue") == missing_component("queue")


def test_an_environment_name_given_with_an_attachment_must_be_the_instances(world: World) -> None:
    component_world(world)
    environment(world, "stage", componentRoleArn=COMPONENT_ROLE)
    code, _, status = refused(create_component, world=world, environmentName="stage")
    assert (code, status) == ("ValidationException", 400)
    # C-1: the component's environment is the instance's.
    assert create_component(world, environmentName="dev")["environmentName"] == "dev"


def test_the_instances_version_must_support_directly_defined_components(world: World) -> None:
    component_world(world, directly_defined=False)
    assert refused(create_component, world=world) == (
        "ValidationException",
        "Service template version web:1.0 doesn't support directly defined components",
        400,
    )
    # The version the instance shows counts: 1.1 supports them, and shop-two runs it.
    template_version(world, "web", "1", supportedComponentSources=["DIRECTLY_DEFINED"])
    proton(world).create_service_instance(
        name="shop-two", serviceName="shop", spec=spec_of(DEV, TWO), templateMajorVersion="1", templateMinorVersion="1"
    )
    assert create_component(world, instance="shop-two")["serviceInstanceName"] == "shop-two"
    assert refused(create_component, world=world, name="other")[0] == "ValidationException"


def test_an_instance_being_deleted_or_failed_to_delete_takes_no_component(world: World) -> None:
    component_world(world)
    create_service(world, "cart", ("cart-dev", "dev"), pipeline=False)
    world.set_settle_policy("manual")
    proton(world).delete_service(name="shop")  # shop-dev: DELETE_IN_PROGRESS
    code, _, status = refused(create_component, world=world)
    assert (code, status) == ("ValidationException", 400)
    world.set_settle_policy("fail")
    proton(world).delete_service(name="cart")  # cart-dev: DELETE_FAILED
    code, _, status = refused(create_component, world=world, service="cart", instance="cart-dev")
    assert (code, status) == ("ValidationException", 400)
    assert component_names(world) == []


def test_one_component_per_instance_also_while_the_first_is_under_way(world: World) -> None:
    component_world(world)
    world.set_settle_policy("manual")
    create_component(world, "queue")
    expected = ("ConflictException", "Service instance shop/shop-dev already has an attached component queue", 400)
    assert refused(create_component, world=world, name="other") == expected
    settle_all(world)
    assert refused(create_component, world=world, name="other") == expected
    assert component_names(world) == ["queue"]


def test_a_busy_instance_takes_no_component(world: World) -> None:
    component_world(world)
    world.set_settle_policy("manual")
    proton(world).update_service_instance(name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")
    code, _, status = refused(create_component, world=world)
    assert (code, status) == ("ConflictException", 400)
    settle_all(world)
    world.set_settle_policy("succeed")
    assert create_component(world)["deploymentStatus"] == "IN_PROGRESS"


def test_the_environment_must_have_been_deployed_and_not_be_deleting(world: World) -> None:
    component_world(world, service=False)
    world.set_settle_policy("manual")
    environment(world, "stage", componentRoleArn=COMPONENT_ROLE)
    not_deployed = ("ValidationException", "Environment stage is not deployed", 400)
    assert refused(detached, world=world, environment_name="stage") == not_deployed  # IN_PROGRESS
    settle_all(world, "FAILED")
    assert refused(detached, world=world, environment_name="stage") == not_deployed  # FAILED
    proton(world).delete_environment(name="dev")  # DELETE_IN_PROGRESS after a success
    assert refused(detached, world=world, environment_name="dev") == (
        "ValidationException",
        "Environment dev is not deployed",
        400,
    )
    settle_all(world, "FAILED")  # DELETE_FAILED
    assert refused(detached, world=world, environment_name="dev")[0] == "ValidationException"
    assert component_names(world) == []


def test_a_management_account_environment_needs_its_component_role(world: World) -> None:
    component_world(world, component_role=False)
    assert refused(create_component, world=world) == ("ValidationException", NO_ROLE.format("dev"), 400)
    assert refused(detached, world=world) == ("ValidationException", NO_ROLE.format("dev"), 400)
    environment(world, "stage", componentRoleArn=COMPONENT_ROLE)
    assert detached(world, environment_name="stage")["environmentName"] == "stage"


def test_through_a_connection_the_connections_component_role_counts(world: World) -> None:
    component_world(world, service=False)
    connection = connected(world, "prod")
    environment(world, "prod", environmentAccountConnectionId=connection["id"])
    assert refused(detached, world=world, environment_name="prod") == (
        "ValidationException",
        NO_ROLE.format("prod"),
        400,
    )
    proton(world, "111111111111").update_environment_account_connection(
        id=connection["id"], componentRoleArn="arn:aws:iam::111111111111:role/proton-component"
    )
    created = detached(world, environment_name="prod")
    # The component belongs to the management account that created it, and deploys in prod.
    assert created["arn"] == component_arn("bucket")
    assert get_component(world, "bucket")["deploymentStatus"] == "SUCCEEDED"
    deployment = get_deployment(world, created["lastAttemptedDeploymentId"])
    assert (deployment["targetArn"], deployment["environmentName"]) == (component_arn("bucket"), "prod")
    assert component_names(world, environmentName="prod") == ["bucket"]


def test_a_self_managed_environment_needs_no_role_and_a_terraform_manifest(world: World) -> None:
    component_world(world, service=False)
    own = environment(world, "own", provisioningRepository=REPOSITORY)
    proton(world).notify_resource_deployment_status_change(resourceArn=own["arn"], status="SUCCEEDED")
    # There the manifest must be hcl and terraform.
    code, message, status = refused(detached, world=world, environment_name="own")
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("Component manifest is not valid: ")
    created = detached(world, environment_name="own", manifest=TERRAFORM_MANIFEST)
    assert created["environmentName"] == "own"
    # dev is not self-managed: there the manifest must be jinja and cloudformation.
    code, message, status = refused(detached, world=world, name="other", manifest=TERRAFORM_MANIFEST)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("Component manifest is not valid: ")


def test_a_manifest_names_exactly_one_cloudformation_or_terraform_file_and_is_never_quoted(world: World) -> None:
    component_world(world, service=False)
    template = "    - file: {}\n      rendering_engine: {}\n      template_language: {}\n"
    two = "infrastructure:\n  templates:\n" + template.format("a.yaml", "jinja", "cloudformation") * 2
    for manifest in (
        "infrastructure: [unclosed-marker\n",  # not YAML
        "- marker\n",  # not a mapping
        "infrastructure:\n  templates: []\n",  # no file
        two,  # two files
        "infrastructure:\n  templates:\n    - marker.yaml\n",  # an item that is not a mapping
        "infrastructure:\n  templates:\n    - rendering_engine: jinja\n      template_language: cloudformation\n",
        "infrastructure:\n  templates:\n" + template.format("[1, 2]", "jinja", "cloudformation"),  # not a string
        "infrastructure:\n  templates:\n" + template.format("marker.yaml", "jinja", "terraform"),
        "infrastructure:\n  templates:\n" + template.format("marker.yaml", "mustache", "cloudformation"),
    ):
        code, message, status = refused(detached, world=world, manifest=manifest)
        assert (code, status) == ("ValidationException", 400), manifest
        assert message.startswith("Component manifest is not valid: "), manifest
        assert "marker" not in message, manifest
    codebuild = "infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings: {}\n"
    # C-6 names the problem for codebuild; whether the prefix comes with it is open (see the report).
    code, message, status = refused(detached, world=world, manifest=codebuild)
    assert (code, status) == ("ValidationException", 400)
    assert message.endswith("Components don't support CodeBuild provisioning")
    assert component_names(world) == []


def test_a_manifests_file_is_a_plain_name_inside_the_components_folder(world: World) -> None:
    """[decided] C-6: the name becomes a path in a provisioning repository (P-22), so it can neither leave the
    folder, hide a second git index record, nor stand in for a file OpenProton writes."""
    component_world(world, service=False)
    template = "infrastructure:\n  templates:\n    - file: {}\n      rendering_engine: jinja\n"
    template += "      template_language: cloudformation\n"
    for name in (
        '"marker.yaml\\0 0 0000000000000000000000000000000000000000\\tREADME.md"',  # a NUL: a second record
        "../marker.yaml",
        "sub//marker.yaml",
        "./marker.yaml",
        ".proton/deployment-metadata.json",
        "proton.component.variables.tf",
        "proton.auto.tfvars.json",
        '"marker\\nyaml"',
        "a\\marker.yaml",
        '""',
    ):
        code, message, status = refused(detached, world=world, manifest=template.format(name))
        assert (code, status) == ("ValidationException", 400), name
        assert message == (
            "Component manifest is not valid: the template's file must be a relative file name inside the "
            "component's folder"
        ), name
    created = detached(world, manifest=template.format("templates/marker.yaml"))
    assert created["name"] == "bucket"


def test_a_client_token_makes_a_retry_return_the_component_as_it_reads_now(world: World) -> None:
    component_world(world)
    created = detached(world, clientToken="token-1", description="first")
    again = detached(world, clientToken="token-1", description="first")
    assert again == get_component(world, "bucket")
    assert again["lastAttemptedDeploymentId"] == created["lastAttemptedDeploymentId"]
    assert again["deploymentStatus"] == "SUCCEEDED"
    assert len(deployments(world, componentName="bucket")) == 1
    proton(world).update_component(name="bucket", deploymentType="NONE", description="changed")
    replayed = detached(world, clientToken="token-1", description="first")
    assert replayed == get_component(world, "bucket")
    assert replayed["description"] == "changed"
    code, _, status = refused(detached, world=world, clientToken="token-1", description="second")
    assert (code, status) == ("ValidationException", 400)
    # Without the token (boto3 sends a fresh one) the name is taken.
    assert refused(detached, world=world, description="first") == (
        "ConflictException",
        "Component bucket already exists",
        400,
    )
    # The token is checked before the attachment: a retry is not a second component on the instance.
    world.set_settle_policy("manual")
    attached = create_component(world, clientToken="token-2", serviceSpec=SERVICE_SPEC)
    assert create_component(world, clientToken="token-2", serviceSpec=SERVICE_SPEC) == attached
    code, _, status = refused(create_component, world=world, clientToken="token-2", serviceSpec="other: spec\n")
    assert (code, status) == ("ValidationException", 400)
    assert [d["id"] for d in world.deployments_under_way()] == [attached["lastAttemptedDeploymentId"]]
    world.set_settle_policy("succeed")
    # Once the component is gone, the retry creates a new one.
    proton(world).delete_component(name="bucket")
    recreated = detached(world, clientToken="token-1", description="first")
    assert recreated["lastAttemptedDeploymentId"] != created["lastAttemptedDeploymentId"]
    assert recreated["lastClientRequestToken"] == "token-1"


def test_the_component_quota_is_a_setting() -> None:
    # In-process only: the servers keep the default quota of 100, too many to create in a test.
    with mock_proton(settings=Settings(database_url="sqlite://", component_quota=2)) as mock:
        world = InProcessWorld(mock)
        component_world(world)
        create_component(world, "one")
        detached(world, "two")
        code, _, status = refused(detached, world=world, name="three")
        assert (code, status) == ("ServiceQuotaExceededException", 400)
        assert component_names(world) == ["one", "two"]
        assert refused(proton(world).get_component, name="three") == missing_component("three")
        proton(world).delete_component(name="two")
        detached(world, "three")
        assert component_names(world) == ["one", "three"]
