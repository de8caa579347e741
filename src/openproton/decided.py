"""Every [decided] behaviour, in one place.

Rules tagged [decided] in ../shared/spec are choices made where AWS left no public record; so are the
choices OpenProton had to make that the specs do not mention (marked "ours"). Each one has an id here, the
code that carries it out says `[decided] <id>` beside it, and the README lists this table (a test keeps the
two in step). Values the code uses live here too, so changing a decision is a one-line change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    rule: str


DECISIONS: tuple[Decision, ...] = (
    # wire.md
    Decision("W-1", "ServiceQuotaExceededException is answered with HTTP 400, like the other client errors."),
    Decision(
        "W-2",
        "An operation of the model that OpenProton does not implement yet answers HTTP 501 "
        "`NotImplementedException` naming the operation; no SDK retries a 501 (ours).",
    ),
    Decision("W-3", "`maxResults` defaults to the model's maximum, 100."),
    Decision(
        "W-4", "The request body limit is 1 MiB (a setting); a larger body gets HTTP 413 `SerializationException`."
    ),
    Decision(
        "W-5",
        "A union member with zero or several members set fails with the validation item "
        "`Member must have exactly one of its members set: [a, b]` (ours).",
    ),
    Decision("W-6", "A request without a `Content-Type` header is read as JSON (ours: lenient parsing)."),
    Decision(
        "W-7",
        "A member of the wrong JSON type is a `SerializationException` saying what was expected "
        "where, e.g. `Expected a string at 'id' but found a number.` (ours).",
    ),
    Decision(
        "W-8",
        "A `nextToken` that cannot be decoded, or that belongs to another query, is a "
        "`ValidationException`: `The nextToken is not valid for this request.` (ours: wording).",
    ),
    Decision(
        "W-9",
        "Fault rules may also answer AccessDeniedException (action `deny`), so that every modelled "
        "error of an operation can be met on purpose (ours).",
    ),
    Decision(
        "W-10",
        "Fault rules and rate-limit buckets live in the process that answers: with `--workers` or "
        "replicas each keeps its own counts (ours).",
    ),
    Decision(
        "W-11",
        "A credential scope whose region is not a region name (lowercase letters, digits and hyphens, at most 32 "
        "characters) is a ValidationException saying so (ours).",
    ),
    Decision(
        "W-12",
        "A string member containing U+0000 fails validation with `Member must not contain the character U+0000`, "
        "on every backend, because PostgreSQL cannot store it (ours).",
    ),
    Decision(
        "W-13",
        "A request body nested more than 64 levels deep (objects and arrays) is a `SerializationException`: "
        "`The request body is nested more than 64 levels deep.` No operation of the model needs more than a few "
        "(ours).",
    ),
    Decision(
        "W-14",
        "An access key ID longer than 128 characters (IAM's longest) is refused in every mode, before anything "
        "is written, with `UnrecognizedClientException` (400): `The security token included in the request is "
        "invalid.` (ours).",
    ),
    Decision(
        "W-15",
        "A request head (request line and headers) larger than 64 KiB (a setting) is refused with HTTP 431 "
        "`SerializationException`, and the connection is closed (ours).",
    ),
    Decision(
        "W-16",
        "A client has 10 s (a setting) to send a whole request, head and body, else 408 and the connection "
        "closes; an idle keep-alive connection is closed after 5 s (a setting); past 1000 open connections (a "
        "setting, lowered to what the open-file limit holds) a new connection is answered at once with HTTP "
        "503 `ServiceUnavailableException` and closed (ours).",
    ),
    Decision(
        "W-17",
        "The admin endpoints refuse, with 403, requests a browser sends for another site (an `Origin` that is "
        "not the server's own, `Sec-Fetch-Site: cross-site` or `same-site`) and bodies labelled with a "
        "`Content-Type` other than JSON; a server listening on loopback refuses, with 421, any request whose "
        "`Host` is not a loopback name or address (or one of `--allowed-hosts`) (ours).",
    ),
    # environment-account-connections.md
    Decision("E-1", "Both parties may get a connection: the environment account and the management account."),
    Decision("E-2", "Update and Delete by the management account give AccessDeniedException."),
    Decision("E-3", "Accept and Reject by the environment account give AccessDeniedException."),
    Decision(
        "E-4",
        "TagResource, UntagResource and ListTagsForResource on a connection's ARN by its "
        "management account give AccessDeniedException.",
    ),
    Decision("E-5", "Create needs at least one of `roleArn` or `codebuildRoleArn`, else ValidationException."),
    Decision("E-6", "Create with `managementAccountId` equal to the caller's own account is a ValidationException."),
    Decision(
        "E-7",
        "While a PENDING or CONNECTED connection exists for the same environment account, "
        "management account, environment name and region, another Create gives "
        "ConflictException; a REJECTED or deleted one does not block.",
    ),
    Decision("E-8", "Accept on a CONNECTED connection returns it unchanged."),
    Decision("E-9", "Reject on a REJECTED connection returns it unchanged."),
    Decision(
        "E-10",
        "Update replaces the role ARNs it is given, keeps the others, leaves the status alone and "
        "moves `lastModifiedAt`.",
    ),
    Decision("E-11", "Update on a REJECTED connection gives ConflictException."),
    Decision("E-12", "Lists are ordered by `requestedAt`, then `id`."),
    Decision(
        "E-13",
        "`lastModifiedAt` moves forward by at least one millisecond on every change, even when two "
        "changes fall in the same millisecond (ours).",
    ),
    Decision(
        "E-14",
        "Tagging that would leave a resource with more than 50 tags, or a tag key starting with "
        "`aws:`, is a ValidationException (ours: wording and the merged count).",
    ),
    # environments.md
    Decision(
        "T-1",
        "UpdateEnvironmentTemplateVersion may change a status only from DRAFT to PUBLISHED; any other status "
        "change is a ValidationException.",
    ),
    Decision(
        "T-2",
        "Template bundles are not fetched (no bundle source is configured), so registration always succeeds: a "
        "version reads as DRAFT from the first read after it is created.",
    ),
    Decision("T-3", "Environment templates are listed by name; their versions by major, then minor version (ours)."),
    Decision(
        "D-1",
        "CreateEnvironment (and UpdateEnvironment) through a connection needs it CONNECTED, the caller its management "
        "account, the same region and its `environmentName` equal to the environment's name, else "
        "ValidationException saying which; an id that does not exist, or whose parties exclude the caller, is "
        "ResourceNotFoundException.",
    ),
    Decision(
        "D-2",
        "CancelEnvironmentDeployment answers CANCELLING and the cancellation ends at once: the next read shows "
        "CANCELLED, and the environment keeps the template version it had (ours).",
    ),
    Decision("D-3", "DeleteEnvironment while a deployment is IN_PROGRESS or CANCELLING is a ConflictException (ours)."),
    Decision(
        "D-4",
        "UpdateEnvironment does not change how an environment is provisioned: one without a connection cannot gain "
        "one, one with a connection or a repository takes no `protonServiceRoleArn`, and only a self-managed one "
        "takes a `provisioningRepository` (ValidationException, ours).",
    ),
    Decision(
        "D-5",
        "UpdateEnvironment with deploymentType NONE and a `spec` is a ValidationException, rather than dropping the "
        "spec (ours).",
    ),
    Decision(
        "D-6",
        "An environment that is not provisioned through a connection reports its own account as "
        "`environmentAccountId` (ours).",
    ),
    Decision(
        "D-7",
        "Until one of its deployments succeeds, an environment's `lastDeploymentSucceededAt` (required by the model) "
        "equals its `createdAt` (ours).",
    ),
    Decision("D-8", "Environments are listed by name (ours)."),
    Decision("D-9", "Deployments are listed newest first, by `createdAt`, then id (ours)."),
    Decision(
        "D-10",
        "DeleteDeployment deletes only a deployment that has ended and is neither the last attempted nor the last "
        "succeeded deployment of an existing environment, service instance or service pipeline; otherwise "
        "ValidationException (the model gives it no ConflictException). Deployments outlive their target (ours).",
    ),
    Decision(
        "D-11",
        "NotifyResourceDeploymentStatusChange was limited to self-managed environments, and their deletes waited "
        "for it; superseded by S-3, S-27 and S-29: it now takes environment, service instance and pipeline "
        "targets of any provisioning method, and a self-managed delete ends by the first read.",
    ),
    Decision(
        "D-12",
        "The settle policy is `succeed` after a delay (default 0 s, at most a year), `fail` (status message "
        "below, or the policy's own) or `manual`. A deployment's ending is fixed by the policy in force when it "
        "starts; a policy set at run time is kept in the database, so every replica follows it until it is cleared.",
    ),
    Decision(
        "D-13",
        "An environment shows the template version and spec of its last successful deployment; a deployment's "
        "target is in its `targetState` until it succeeds (ours).",
    ),
    Decision(
        "D-14",
        "A deployment whose environment's connection is deleted or no longer CONNECTED when the deployment starts "
        "fails at once with a status message naming the connection (the spec leaves the moment open).",
    ),
    # services.md
    Decision(
        "S-1",
        "A service pipeline's ARN is `service/<service>/pipeline/<id>`, its id a lowercase UUID4 fixed when the "
        "pipeline is created.",
    ),
    Decision(
        "S-2",
        "Service templates, their versions, services, service instances and pipelines belong to the management "
        "account that created them, whose id their ARNs carry (also for an instance whose environment uses a "
        "connection), and only it may call their operations: any other account, the environment account included, "
        "gets ResourceNotFoundException for a named resource and empty lists, never AccessDeniedException. The "
        "admin deployment view shows the account a target is provisioned in as `environmentAccountId`.",
    ),
    Decision(
        "S-3",
        "The one exception to S-2: NotifyResourceDeploymentStatusChange is also accepted from the "
        "`environmentAccountId` of the target's environment (the environment itself, or the instance's).",
    ),
    Decision(
        "S-4",
        "Not-found messages name the ARN, as observed: `The requested service template version does not exist: "
        "arn:aws:proton:us-east-1:222222222222:service-template/web:4.28` (a major without versions: `...:web:4`), "
        "likewise `service template`, `service` and `service instance`; a missing pipeline is "
        "`Service <name> has no pipeline`.",
    ),
    Decision(
        "S-5",
        "DeleteServiceTemplate while any version exists is a ValidationException `Service template has major "
        "versions that must first be deleted.`, and DeleteEnvironmentTemplate likewise `Environment template has "
        "major versions that must first be deleted.` (observed wording).",
    ),
    Decision("S-6", "Service templates and services are listed by name."),
    Decision(
        "S-7",
        "Each `compatibleEnvironmentTemplates` entry must name an environment template of the account and region "
        "with a version in that major, else ValidationException `Compatible environment template <name>:<major> "
        "does not exist`; duplicates are kept once. Update may replace the list (DRAFT or PUBLISHED): running "
        "instances stay, and later deployments to the version check the new list.",
    ),
    Decision(
        "S-8",
        "ListServiceTemplateVersions without `majorVersion` returns every version, as for environment templates.",
    ),
    Decision(
        "S-9",
        "Specs are stored and returned verbatim: a service's `spec` is its last CreateService or UpdateService "
        "spec, an instance's and a pipeline's the document of their last successful deployment (the creating "
        "one's until then), and deployment states keep their own document.",
    ),
    Decision(
        "S-10",
        "Service specs are validated structurally only: a YAML mapping with `proton: ServiceSpec`, `instances` "
        "absent or a list of mappings, each with a `name` unique in the document, an `environment` of the "
        "caller's account and region and an optional mapping `spec`, and `pipeline` absent or a mapping; other "
        "keys are ignored. A failure is a ValidationException in B-13's format (e.g. `Invalid spec: 1 validation "
        "error detected: instances[shop-dev].environment: environment dev does not exist`); input values are not "
        "checked until a bundle source is configured, and `${Proton::CURRENT_VAL}` is kept as written.",
    ),
    Decision(
        "S-11",
        "CreateService with a pipeline requires repositoryConnectionArn, repositoryId and branchName; without a "
        "pipeline it takes none of them (ValidationException naming the member) and ignores a `pipeline:` section.",
    ),
    Decision(
        "S-12",
        "A service may have zero instances only if it has a pipeline; a service without a pipeline keeps at least "
        "one instance (ValidationException).",
    ),
    Decision(
        "S-13",
        "An instance's environment must have a successful deployment and not be DELETE_IN_PROGRESS or "
        "DELETE_FAILED (ValidationException `Environment <env> is not deployed`), and its template and major must "
        "be in the target version's `compatibleEnvironmentTemplates` (ValidationException `Environment <env> "
        "(template <t>:<major>) is not compatible with service template version <t>:<maj>.<min>`). Both are "
        "checked when an instance is created, compatibility also on every update to another version.",
    ),
    Decision(
        "S-14",
        "A service's status comes from the deployments of its latest operation: a create ends ACTIVE or "
        "CREATE_FAILED, an update ACTIVE, UPDATE_FAILED or UPDATE_COMPLETE_CLEANUP_FAILED, a delete with the "
        "service gone or DELETE_FAILED, with services.md's status messages; an instance failing while the "
        "pipeline's deployment is under way fails it at once, nothing is rolled back and no `*_FAILED_CLEANUP_*` "
        "status is produced. `lastModifiedAt` is `createdAt` at first and moves to each UpdateService and each "
        "operation's end.",
    ),
    Decision(
        "S-15",
        "UpdateService with `description` alone is synchronous: no deployment, status kept, `lastModifiedAt` "
        "moves; it is a ConflictException only while DELETE_IN_PROGRESS.",
    ),
    Decision(
        "S-16",
        "In an UpdateService spec, a kept instance's entry must name its environment, and its `spec` and the "
        "document's `pipeline` must equal, as parsed YAML, the stored ones (absent equals `{}`, "
        "`${Proton::CURRENT_VAL}` equals anything), else ValidationException `UpdateService can't modify existing "
        "service instance <name>; use UpdateServiceInstance` (or `the service pipeline; use "
        "UpdateServicePipeline`). A spec with nothing to add, remove or retry is stored and deploys nothing.",
    ),
    Decision(
        "S-17",
        "UpdateService with a spec, DeleteService and CreateServiceInstance are a ConflictException while the "
        "service is CREATE_IN_PROGRESS or UPDATE_IN_PROGRESS or any instance or the pipeline has a deployment "
        "under way (DeleteService during DELETE_IN_PROGRESS returns the service); UpdateServiceInstance and "
        "UpdateServicePipeline while the service is `*_IN_PROGRESS` or their own deployment is under way.",
    ),
    Decision(
        "S-18",
        "CreateServiceInstance checks its clientToken first; its spec must hold the entry named `name` (else "
        "`Invalid spec: 1 validation error detected: instances: no entry named <name>`), which gives the "
        "environment, and its version is the one named, the major's recommended minor, or the template's "
        "recommended version (also for instances UpdateService adds). The service must exist and not be busy "
        "(S-17), a taken name is a ConflictException, S-13 applies, over quota is a ValidationException, and the "
        "service's status and spec stay and its pipeline is not redeployed.",
    ),
    Decision(
        "S-19",
        "A spec given to UpdateServiceInstance must hold this instance's entry naming its environment "
        "(ValidationException); without one the current spec is redeployed. A repeat with the instance's "
        "`lastClientRequestToken` and the same parameters returns the instance as it is and starts nothing; with "
        "other parameters it is the idempotent parameter mismatch ValidationException.",
    ),
    Decision(
        "S-20",
        "ListServiceInstances lists the account and region's instances until they are gone, restricted by "
        "`serviceName` (unknown: ResourceNotFoundException); filters of one key are ORed and keys ANDed, names "
        "and deploymentStatus match exactly, `deployedTemplateVersionStatus` is the status of the instance's "
        "version, and date filters compare strictly with RFC 3339 UTC values (else ValidationException "
        "`Invalid value '<v>' for filter <key>: expected an RFC 3339 date-time`). `sortBy` defaults to "
        "serviceName, ties by serviceName then name, ASCENDING by default, and DESCENDING is exactly the reverse.",
    ),
    Decision(
        "S-21",
        "UpdateServicePipeline with deploymentType NONE deploys and stores nothing, but its spec must pass S-10.",
    ),
    Decision(
        "S-22",
        'GetAccountSettings answers `{"accountSettings": {...}}` with the configured members (`{}` at first), never '
        "ResourceNotFoundException.",
    ),
    Decision(
        "S-23",
        "Every call that starts a pipeline deployment other than its deletion (CreateService, UpdateService adding "
        "or removing instances, UpdateServicePipeline but NONE) needs pipelineServiceRoleArn, "
        "pipelineCodebuildRoleArn or pipelineProvisioningRepository in the account settings, else "
        "ValidationException `Operation cannot be run until pipeline roles have been configured` (observed "
        "wording); clearing them is allowed.",
    ),
    Decision(
        "S-24",
        "Until bundles are read, a pipeline deployment is self-managed (it waits for "
        "NotifyResourceDeploymentStatusChange) if and only if, at its start, the account settings hold the "
        "pipeline provisioning repository and neither pipeline role.",
    ),
    Decision(
        "S-25",
        "A deployment's `environmentName` is the instance's environment; for a pipeline, the environment of the "
        "service's first instance by name at the deployment's start, omitted when it has none.",
    ),
    Decision(
        "S-26",
        "GetDeployment: each name given must match the deployment (else ResourceNotFoundException), and "
        "serviceInstanceName without serviceName is a ValidationException. ListDeployments: each filter matches "
        "the deployment member of that name for the resource as it exists now, one naming no existing resource is "
        "ResourceNotFoundException, serviceInstanceName needs serviceName, serviceName covers the service's "
        "instances (present or removed) and its pipeline (and the components attached to its instances, C-12), and "
        "componentName names a component as the other names do.",
    ),
    Decision(
        "S-27",
        "NotifyResourceDeploymentStatusChange takes environment, service instance, pipeline and component (C-13) "
        "ARNs (others: ResourceNotFoundException) from S-3's callers, for any provisioning method, and acts on the "
        "target's deployment under way (`deploymentId`, else its last attempted; another target's: "
        "ResourceNotFoundException; not under way: ConflictException), merging the outputs by key. SUCCEEDED or "
        "FAILED ends it now (a deletion DELETE_COMPLETE or DELETE_FAILED), overriding the settle policy; "
        "IN_PROGRESS or no status records outputs only.",
    ),
    Decision(
        "S-28",
        "Pipelines are taggable, as every ARN the server hands out; `service-template/<name>:<major>` names "
        "nothing (ResourceNotFoundException).",
    ),
    Decision(
        "S-29",
        "A self-managed delete (an environment, service instance or pipeline with a provisioning repository) does "
        "not wait for NotifyResourceDeploymentStatusChange: it ends DELETE_COMPLETE by the first read, whatever "
        "the settle policy.",
    ),
    # components.md
    Decision("C-1", "A component never changes environment."),
    Decision(
        "C-2",
        "A component shows the attachment and serviceSpec (and keeps the template file) of its last successful "
        "deployment, those of its creating request until one succeeds; a deployment under way holds its request in "
        "`targetState` until it succeeds. lastDeploymentSucceededAt and lastSucceededDeploymentId are omitted until "
        "one succeeds.",
    ),
    Decision(
        "C-3",
        "CreateComponent attaching checks the instance (exists; not DELETE_IN_PROGRESS or DELETE_FAILED; in the "
        "environment named, if one is; on a version supporting DIRECTLY_DEFINED: ValidationException; no other "
        "component attached now or by a deployment under way, and not busy: ConflictException); a detached "
        "component's environment must exist (ResourceNotFoundException).",
    ),
    Decision(
        "C-4",
        "A component goes only into an environment with a successful deployment that is not DELETE_IN_PROGRESS or "
        "DELETE_FAILED, else ValidationException `Environment <env> is not deployed` (as S-13).",
    ),
    Decision(
        "C-5",
        "The component role that counts: through a connection, the connection's componentRoleArn (the connection "
        "must still exist); in the management account, the environment's; a self-managed environment needs none. "
        "Missing: ValidationException `Environment <env> has no component role; directly defined components aren't "
        "allowed in it`.",
    ),
    Decision(
        "C-6",
        "A manifest is YAML whose `infrastructure.templates` lists exactly one mapping with string `file`, "
        "`rendering_engine` and `template_language`: `jinja` with `cloudformation` outside self-managed "
        "environments, `hcl` with `terraform` in them; else ValidationException `Component manifest is not valid: "
        "<problem>` (`Components don't support CodeBuild provisioning` for a `codebuild` rendering engine), never "
        "quoting the text. `file` must be a relative name inside the component's folder (no control character or "
        "backslash, no empty, `.` or `..` segment, at most 255 characters, not under `.proton/` and not a file "
        "OpenProton writes: `proton.<type>.variables.tf`, `proton.auto.tfvars.json`): it becomes a path in the "
        "provisioning repository (P-22).",
    ),
    Decision(
        "C-7",
        "CreateComponent's clientToken works as the connection's (same token and parameters within 8 h: the "
        "component as it reads now; other parameters: the idempotent parameter mismatch ValidationException), kept "
        "as lastClientRequestToken; otherwise a taken name is ConflictException `Component <name> already exists`.",
    ),
    Decision(
        "C-8",
        "UpdateComponent CURRENT_VERSION: templateFile and serviceSpec replace the current ones; names omitted keep "
        'the attachment, both `""` detach and drop serviceSpec, both set on a detached component attach it (create\'s '
        "checks, the instance in the component's environment); another instance than the attached one is a "
        "ConflictException; serviceSpec on a component left detached is a ValidationException; no member redeploys "
        "the current state.",
    ),
    Decision(
        "C-9",
        "A component, and the instance it is attached to or is to be attached to, are busy while a deployment of "
        "either is IN_PROGRESS, CANCELLING or DELETE_IN_PROGRESS: UpdateComponent in both modes, CreateComponent "
        "attaching and UpdateServiceInstance give ConflictException.",
    ),
    Decision(
        "C-10",
        "DeleteComponent on a DELETE_IN_PROGRESS component returns it; on a DELETE_FAILED one it tries again.",
    ),
    Decision(
        "C-11",
        "CancelComponentDeployment works as D-2: CANCELLING answers the call, CANCELLED at once, `User initiated "
        "cancellation.`, the last successful state kept.",
    ),
    Decision(
        "C-12",
        "A component's deployment: targetResourceType COMPONENT, the component's ARN and createdAt, environmentName, "
        "componentName, and the serviceName and serviceInstanceName of the target state's attachment (for a "
        'detach, of the instance left). States are `{"component": {serviceName, serviceInstanceName, serviceSpec, '
        'templateFile}}`, names `""` when detached, serviceSpec only when attached; no initialState on create; a '
        "delete targets the current state.",
    ),
    Decision(
        "C-13",
        "NotifyResourceDeploymentStatusChange on a component's ARN works as S-27, from the owner only.",
    ),
    Decision(
        "C-14",
        "A component's deployment never starts its instance's; the instance's next deployment records the attached "
        "component's last successful deployment in `lastSuccessfulComponentDeploymentIds`.",
    ),
    Decision(
        "C-15",
        "UpdateServiceInstance to a version lacking DIRECTLY_DEFINED while a component is attached is a "
        "ValidationException; changing a version's supportedComponentSources leaves existing attachments alone.",
    ),
    Decision(
        "C-16",
        "ListComponents' filters (environmentName, serviceName, serviceInstanceName, which needs serviceName) AND, "
        "see the attachment a component shows, and a name matching nothing gives an empty list; by name, paginated "
        "as wire.md.",
    ),
    Decision(
        "R-1",
        "GetResourcesSummary gives every member of each row's list, zeros included, and no other: total for "
        "templates and environments, total and failed for components, total, failed, upToDate, behindMajor and "
        "behindMinor for service instances, pipelines and services.",
    ),
    Decision(
        "R-2", "`total` counts every resource that exists, in any status (DELETE_IN_PROGRESS and DELETE_FAILED too)."
    ),
    Decision(
        "R-3",
        "`failed`: deploymentStatus FAILED or DELETE_FAILED (components, instances, pipelines; CANCELLED is not "
        "failed); services in CREATE_FAILED, CREATE_FAILED_CLEANUP_*, UPDATE_FAILED, UPDATE_FAILED_CLEANUP_*, "
        "UPDATE_COMPLETE_CLEANUP_FAILED or DELETE_FAILED.",
    ),
    Decision(
        "R-4",
        "A resource on template T at M.m is behindMajor when T's recommended version has a major above M; else "
        "behindMinor when the highest PUBLISHED minor of M is above m; else upToDate (also when nothing is "
        "published or M.m is above the recommended version). The three sum to total; failed overlaps them.",
    ),
    Decision("R-5", "A service is as stale as its stalest instance or pipeline; with neither, upToDate."),
    # repositories-and-sync.md
    Decision(
        "Y-1",
        "A repository link's ARN is `repository/<provider in lowercase>:<name>` for every provider: `github`, "
        "`github_enterprise`, `bitbucket`.",
    ),
    Decision(
        "Y-2", "A link's connectionArn and encryptionKey get the model's checks only: stored, returned, never used."
    ),
    Decision(
        "Y-3",
        "Creates are idempotent: an existing link, template or service sync config with the same members is "
        "returned; with others, ConflictException (`Repository GITHUB:owner/repo is already linked`, `Template "
        "ENVIRONMENT/vpc already has a sync config`, `Service web already has a sync config`).",
    ),
    Decision(
        "Y-4",
        "DeleteRepository only unlinks and returns the link (missing: ResourceNotFoundException); while a sync "
        "config, an environment's provisioningRepository or the account's pipelineProvisioningRepository names it, "
        "ConflictException naming that user. Its attempts go with it.",
    ),
    Decision(
        "Y-5",
        "provisioningRepository (Create/UpdateEnvironment) and pipelineProvisioningRepository "
        "(UpdateAccountSettings) must name a link of the caller's account and region, else ValidationException "
        "`Repository GITHUB:owner/repo is not linked`.",
    ),
    Decision(
        "Y-10",
        "A template sync config needs its template of that type (ValidationException `Environment template <name> "
        "does not exist`, `Service template ...`), the link (Y-5's error) and no `..` segment in subdirectory "
        "(ValidationException); one per template and type. Update changes all but name and type with the same "
        "checks. Missing: ResourceNotFoundException `The requested template sync config does not exist: "
        "ENVIRONMENT/vpc`. Delete returns it and keeps every version; deleting the template deletes it.",
    ),
    Decision(
        "Y-13",
        "GetTemplateSyncStatus (templateVersion = a major): ResourceNotFoundException without a config; else the "
        "major's latestSync, latestSuccessfulSync and desiredState (from the last run that found it), each omitted "
        "when unknown. ListRepositorySyncDefinitions `TEMPLATE_SYNC` lists the repository's template sync configs by "
        "type then name (branch, directory = subdirectory or `/`, parent = templateName, target = "
        "`<TYPE>/<templateName>`), `[]` for an unlinked repository; `SERVICE_SYNC` is a ValidationException `Only "
        "TEMPLATE_SYNC is supported`.",
    ),
    Decision(
        "Y-6",
        "Sync reads from the git remote an administrator maps the link to: `--repository-map FILE`, "
        "`--repository-source 'GITHUB:owner/repo=URL'` (repeatable; OPENPROTON_REPOSITORY_SOURCES, "
        "whitespace-separated; a key given twice stops serve), or at run time PUT/GET/DELETE "
        "`/_openproton/repository-map/<PROVIDER>/<name>` and `proton.map_repository(...)` (kept in the database; "
        "run-time entries win). git runs without a shell, with `--` before URLs, hooks and `ext::` off, no prompts, "
        "into a disposable cache; files are read from git objects; what sync remembers is in the database.",
    ),
    Decision(
        "Y-7",
        "Unmapped: configs are checked and stored, nothing is fetched or recorded; the statuses answer `{}`; blockers "
        "still arise.",
    ),
    Decision(
        "Y-8",
        "A run syncs a unit (an account and region's link, a branch, a sync type). Triggers: POST "
        "`/_openproton/repositories/<PROVIDER>/<name>/sync` (200 with one attempt per unit run, 404 when no account "
        "links it, 409 when unmapped), `proton.sync_repository(...)`, the poller every `--sync-interval` s (default "
        "60, 0 off) for units whose heads moved, and Create/Update of a sync config (in-process before answering, in "
        "a server in the background). One run per unit across replicas (a lease row claimed by one conditional "
        "UPDATE, no transaction open while git runs; every git command times out after `--git-timeout` s); a run "
        "asked for meanwhile is a QUEUED attempt that later requests join.",
    ),
    Decision(
        "Y-9",
        "A repository attempt per run (INITIATED, IN_PROGRESS, SUCCEEDED, FAILED; events CLONE_STARTED, "
        "CLONE_FAILED `Clone failed: <git's error line>` with the URL shown as `<PROVIDER>:<name>` or `Clone failed: "
        "branch <b> not found`, CONFIG_UPDATED, STARTING_SYNC, TEMPLATE_NOT_FOUND, OPS_FILE_INVALID, SYNC_BLOCKED, "
        "PIPELINE_DEPLOYMENT_STARTED / PIPELINE_SYNC_FAILED); a resource attempt per target a run changes or fails "
        "to change, read as of the call like deployments (SYNC_STARTED, VERSION_CREATED or DEPLOYMENT_STARTED, then "
        "SYNC_SUCCEEDED or SYNC_FAILED); initialRevision is that of the target's last SUCCEEDED attempt. "
        "GetRepositorySyncStatus: ResourceNotFoundException when unlinked, else the unit's newest attempt or `{}`.",
    ),
    Decision(
        "Y-11",
        "The root is the subdirectory without leading `./` or `/` or trailing `/`; the template directory is the "
        "shallowest directory at or below it named as the template and holding a major directory (ties: the smaller "
        "path in byte order); major directories are `v` and a number above 0 without leading zeros.",
    ),
    Decision(
        "Y-12",
        "For each major directory at the head, ascending: a version is registered when sync has made none for it, "
        "its git tree differs from the one it last registered from, or that version no longer exists; numbered N.0 "
        "when the major has no version, else the next minor (versions by hand count); created as "
        "Create*TemplateVersion creates one, service templates taking compatible environments and component sources "
        "from `.template-registration.yaml` (else `.compatible-envs`); a missing or invalid file or a refused create "
        "fails the attempt and creates nothing. The version and its tree are recorded together; removing `v<N>` "
        "changes nothing; sync publishes nothing.",
    ),
    Decision(
        "Y-15",
        "The OPS file (`sync.services.<service>.<instance>: {branch, spec}`) is read at filePath on the config's "
        "branch; only the config's service counts; a missing file or another shape is OPS_FILE_INVALID `Proton Ops "
        "file <path> is not valid: <problem>` and fails the attempt; `./` or `/` prefixes of spec paths are ignored "
        "and `..` is refused.",
    ),
    Decision(
        "Y-16",
        "Per entry in file order (skipped while a blocker stops it): the spec file at its branch's head is compared "
        "with the instance (environment and inputs, as S-16 compares); no instance: CreateServiceInstance; different: "
        "UpdateServiceInstance CURRENT_VERSION; equal: nothing. A missing file or entry, another environment or a "
        "refused call fails that instance's attempt. Then the pipeline follows the first spec file on the config's "
        "branch that has a pipeline section (UpdateServicePipeline CURRENT_VERSION). Sync's calls raise no blockers.",
    ),
    Decision(
        "Y-17",
        "While a service has a sync config, a client's CreateServiceInstance or UpdateService adding an instance "
        "(`Manual creation of service instance <i>`), UpdateServiceInstance not NONE (`Manual update of service "
        "instance <i>`), UpdateService removing an instance (on the service: `Manual deletion of service instance "
        "<i>`) and UpdateServicePipeline not NONE (`Manual update of the pipeline of service <s>`) raise an ACTIVE "
        "AUTOMATED blocker, at most one per target, in their own transaction. The summary gives the target's ACTIVE "
        "blocker then its last 5 RESOLVED, newest first. UpdateServiceSyncBlocker resolves an ACTIVE one; RESOLVED: "
        "ConflictException `Sync blocker <id> is already resolved`; unknown: ResourceNotFoundException `The "
        "requested sync blocker does not exist: <id>`. Blockers stay when the config goes and go with the service. "
        "A change of a target that already has an ACTIVE blocker adds none (the first reason stays); an UpdateService "
        "removing several instances raises one service blocker naming the first removed by name; a target's blockers "
        "get strictly increasing createdAt (1 ms later when made in the same millisecond), so newest first is one "
        "order.",
    ),
    # bundles-and-provisioning.md, sections 1 to 4 and 6
    Decision(
        "B-1",
        "One bundle source at most (`--bundle-s3-endpoint` and `--bundle-dir` together: `serve` exits 2). "
        "`--bundle-s3-endpoint aws|URL`: GetObject of `source.s3`, signed for the call's region with OpenProton's "
        "own AWS credential chain (never the caller's), path-style for a URL, connect timeout 5 s, read 20 s.",
    ),
    Decision(
        "B-2",
        "`--bundle-dir DIR`: `s3://bucket/key` is `DIR/bucket/key`; a key with an empty, `.` or `..` segment, or "
        "whose real path leaves `DIR/bucket`, is not found.",
    ),
    Decision(
        "B-3",
        "Without a bundle source T-2 stays the default: nothing is fetched, registration succeeds, the version has "
        "no `schema` and its specs get no schema checks.",
    ),
    Decision(
        "B-4",
        "A bundle is read once, at registration, and stored with its version (by SHA-256) for later renders; "
        "`export`/`import` carry it.",
    ),
    Decision(
        "B-5",
        "The fetch runs before Create's transaction and the checks inside Create, which still answers "
        "REGISTRATION_IN_PROGRESS; the first read shows DRAFT (with `schema`) or REGISTRATION_FAILED (with its "
        "`statusMessage`), so the registered waiters end on their first poll. A retry with the same client token "
        "fetches nothing.",
    ),
    Decision(
        "B-6",
        "Registration checks run in order and the first failure is the statusMessage: fetch; archive size (5 MB), "
        "gzipped tar, unpacked size (50 MB) and entries (1000), entries tarfile's `data` filter refuses (and links "
        "that name no file inside, absolute or non-UTF-8 names); the root; schema size (50 KB) and YAML; "
        "`format.openapi` 3.0.0 and `types`; the input types; the named types; each property; the folders; the "
        "manifests; the files (at most 10 selected, 200 KB each, UTF-8). Only `Missing property "
        "[pipelineInputType]` is Proton's text; the others are ours.",
    ),
    Decision(
        "B-7",
        "CloudFormation files and `project_properties` are parsed as Jinja at registration: `Template file <path> is "
        "not a valid Jinja template: line <n>: <message>`; IaC logic is not checked.",
    ),
    Decision(
        "B-8", "A folder's method: `jinja` is CloudFormation, `hcl` Terraform (self-managed), `codebuild` CodeBuild."
    ),
    Decision(
        "B-9",
        "Specs are read with PyYAML `safe_load` (YAML 1.1, no aliases): a mapping; environments `proton: "
        "EnvironmentSpec` with an optional `spec` mapping; services `proton: ServiceSpec`, `instances` and an "
        "optional `pipeline`. Other top-level keys, and `pipeline` when the template has none, are ignored.",
    ),
    Decision(
        "B-10",
        "Inputs are checked as OpenAPI 3.0 Schema Objects with openapi-schema-validator's OAS30Validator, no "
        "format checker; `pattern` is a search run by the `regex` package with a 100 ms timeout; `number` takes "
        "integers, not booleans; `string` refuses 80; null is absent unless `nullable`; inputs not in the schema are "
        "accepted and not rendered, unless `additionalProperties: false`.",
    ),
    Decision(
        "B-11",
        "After validation missing top-level inputs get their `default` (never validated); rendered inputs follow "
        "schema order; stored specs keep the caller's text. `${Proton::CURRENT_VAL}` keeps the current value; "
        "without one the key is dropped, and on a resource being created it is `<path>: has no current value`.",
    ),
    Decision("B-12", "A version change without a new spec checks the current spec against the target schema."),
    Decision(
        "B-13",
        "A spec's problems read `Invalid spec: <n> validation error(s) detected: <path>: <problem>; ...`, at most 10 "
        "then `; and <k> more`, ordered by path in byte order, values never echoed; YAML errors `Invalid spec: not "
        "valid YAML at line <l>, column <c>: <problem>`.",
    ),
    Decision(
        "B-14",
        "`--bundle-buckets FILE` maps accounts (or `*`) to the buckets they may name (`prefix-*` patterns); another "
        "bucket fails registration with `Unable to fetch template bundle from s3://<bucket>/<key>: bucket not allowed "
        "for account <account>`. Without it every bucket is allowed in default mode; strict mode with a bundle "
        "source and no map exits 2.",
    ),
    Decision(
        "P-1",
        "Every deployment of a bundle version is rendered in the request that starts it (deletions only for "
        "CodeBuild and Terraform folders); a failure fails the deployment at once with `Template rendering failed: "
        "<folder>/<file> line <n>: <message>`.",
    ),
    Decision(
        "P-2",
        "Rendering uses Jinja2's SandboxedEnvironment with StrictUndefined, `keep_trailing_newline`, no autoescape "
        "and no loader; `{{ }}` prints booleans `true`/`false`, None `null`, lists and mappings as compact JSON and "
        "numbers as written.",
    ),
    Decision(
        "P-3",
        "A valid ARN for the `proton_cfn_*` filters matches `^arn:[^:\\s]+:[^:\\s]*:[^:\\s]*:\\d{0,12}:\\S+$`; "
        "`raw=False` refuses values outside `^[a-zA-Z0-9_-]*$`; lines after the first start at the column of the "
        "`{{`; an empty mapping gives `''`.",
    ),
    Decision(
        "P-4",
        "Terraform folders render each selected `.tf` file with Proton's managed-file header, "
        "`proton.<type>.variables.tf` declaring the namespaces, and `proton.auto.tfvars.json` in Jackson's pretty "
        "style whose last key `//` is the resource ARN.",
    ),
    Decision(
        "P-5",
        "CodeBuild folders render their files plus `proton-inputs.json` (P-4's objects without `proton_tags` and "
        "`//`; `input_type: HCL`: `proton-inputs.tfvars`).",
    ),
    Decision(
        "P-6",
        "Rendered files are kept by deployment: `GET /_openproton/deployments/ID/rendered` gives `{deploymentId, "
        "provisioner, files}` (`?path=P`: one file as text), `.../log` the provisioner's log, 404 when none; "
        "in-process `proton.rendered(id)` and `proton.log(id)`.",
    ),
    Decision(
        "P-7",
        "`openproton render BUNDLE [--spec FILE] [--target environment|instance:<name>|pipeline|all] [--context "
        "FILE] [--out DIR]` renders offline with the server's checks and messages; exit 0 rendered, 2 usage or an "
        "unreadable file, 3 registration would fail, 4 invalid spec, 5 rendering failed.",
    ),
    Decision(
        "P-24",
        "Commands run only if the administrator lists `codebuild` in `--provisioners` at start; no API call, admin "
        "endpoint or bundle enables them.",
    ),
    Decision(
        "P-25",
        "Bundles, specs and templates are untrusted: limits are checked while reading, archives are read in memory "
        "(nothing extracted), YAML only through `safe_load` without aliases, Jinja only sandboxed (no `_` "
        "attributes, no files, `range` at most 100,000, at most 1 MiB per file, a whole render within "
        "`--render-timeout`, else `Rendering took longer than <n> seconds`), schema patterns with a time limit.",
    ),
    Decision(
        "P-8",
        "A deployment's provisioner is fixed when it starts: no bundle → `settle`; a customer-managed environment → "
        "none (it succeeds at once with its spec's inputs as outputs, in schema order); else the folder's method → "
        "`cloudformation`, `codebuild` or `self-managed` if `--provisioners` lists it, else `settle`; a directly "
        "defined component's manifest method (jinja → `cloudformation`, hcl → `self-managed`) the same way, its "
        "template file rendered with the component's namespaces (its CloudFormation role: the connection's "
        "componentRoleArn, else the environment's). `GET /_openproton/deployments` shows it; settling a "
        "`cloudformation` or `codebuild` one by hand answers 409.",
    ),
    Decision(
        "P-9",
        "With a bundle an environment's provisioning must fit the folder's method, at Create and Update: "
        "CloudFormation needs protonServiceRoleArn or a connection, CodeBuild a codebuildRoleArn (its own or its "
        "connection's), Terraform a provisioningRepository (`Template vpc:1.0 needs protonServiceRoleArn or "
        "environmentAccountConnectionId`).",
    ),
    Decision(
        "P-10",
        "A `cloudformation`, `codebuild` or `self-managed` deployment is a job written in the transaction that "
        "starts it; the request answers at once. A worker for each server process claims jobs, polls every 5 s (and "
        "wakes at once for a job its own process posted), resumes unfinished jobs on start from the state saved "
        "before each external call, and writes the ending. It runs up to `--provisioning-concurrency` jobs at once "
        "(default 8), each on a thread of its own, taking turns: a job's work runs one job at a time, and its waits "
        "(a stack between polls, commands running) overlap, so a stack that takes minutes holds no other job back "
        "(in-process `sync` mode runs a call's jobs one after another). Two jobs of one resource never work at once "
        "in a worker (the second waits, unclaimed), and a worker that stops stops the commands it runs (the next "
        "one ends the run as interrupted). It runs in a child process of its own at niceness 10 "
        "(`--provisioning-worker process`, the default), started again if it exits and ending with the server; "
        "`thread`, or an in-memory database, keeps it a thread of the server process.",
    ),
    Decision(
        "P-11",
        "Leases (sync units and jobs): `lease_owner`, `lease_until`, claimed by one conditional UPDATE against the "
        "database's clock for `--job-lease-seconds`, renewed every third of it; a job's ending is written in the "
        "transaction that deletes the job `WHERE lease_owner = me`, so no deployment ends twice across replicas; "
        "no transaction stays open during an external call.",
    ),
    Decision(
        "P-12",
        'In-process, `provisioning_mode="sync"` (default) runs the jobs a call posted before the call returns '
        '(the answer says IN_PROGRESS, the first read the end); `"thread"` runs a worker thread, and '
        "`proton.wait(deployment_id=None, timeout=60)` returns once it (or every job) ended, else TimeoutError.",
    ),
    Decision(
        "P-13",
        "The CloudFormation role: an environment's connection's roleArn, else its protonServiceRoleArn; an "
        "instance's environment's; a pipeline's account pipelineServiceRoleArn. `--cloudformation-role-mode "
        "assume` (default) assumes it with STS at `--cloudformation-endpoint`; `pass` sends it as RoleARN with "
        "OpenProton's own credentials. None: FAILED `No role to provision <ARN> with`.",
    ),
    Decision(
        "P-14",
        "Stacks are named `AWSProton-<part>-cloudformation--<15 random A-Z>` once per target and kept for its life, "
        "created with CAPABILITY_IAM, CAPABILITY_NAMED_IAM and CAPABILITY_AUTO_EXPAND and the resource's `proton:*` "
        "tags; a rendered template over 51,200 bytes fails `Rendered template is larger than the 51200 bytes "
        "CloudFormation accepts`.",
    ),
    Decision(
        "P-15",
        "Stack statuses: `*_IN_PROGRESS` under way; CREATE_COMPLETE, UPDATE_COMPLETE succeeded; DELETE_COMPLETE or "
        "no stack a finished deletion; the others failed, with the first `*_FAILED` event's reason since the call, "
        "else StackStatusReason, else the API error, at most 5,000 characters. `No updates are to be performed` "
        "succeeds; a ROLLBACK_COMPLETE stack is created again.",
    ),
    Decision(
        "P-16",
        "On success the stack's Outputs become the deployment's outputs in CloudFormation's order, and "
        "ListStackResources its provisioned resources (LogicalResourceId, PhysicalResourceId, CLOUDFORMATION), "
        "by name.",
    ),
    Decision(
        "P-26",
        "A role is used only if its account is the resource's provisioning account, else FAILED `Role <ARN> is not "
        "in account <account>`; AssumeRole passes ExternalId = the owner's account and RoleSessionName "
        "`openproton-<deployment id>`.",
    ),
    Decision(
        "P-18",
        "A `codebuild` run (`provision` on create and update, `deprovision` on delete) works in a private 0700 "
        "temporary directory holding the rendered folder, which is its working directory and HOME; the commands run "
        "in order in one `bash -e` process of its own process group, with PATH, LANG, HOME, temporary credentials "
        "from STS AssumeRole of the resource's codebuildRoleArn (its own or its connection's; none assumable: FAILED "
        "`No role to provision <ARN> with`), `settings.env.variables`, RESOURCE_ARN and AWS_REGION, never the "
        "server's credentials or an OPENPROTON_* variable; a `secrets-manager` name is read from the server's "
        "environment, else FAILED `Secret <NAME> is not available to OpenProton`.",
    ),
    Decision(
        "P-19",
        "A server gives each codebuild run `AWS_ENDPOINT_URL_PROTON` = `<public URL>/_openproton/runs/<token>`, the "
        "token 32 random bytes valid while the run lasts and kept only as its SHA-256; on that path only "
        "NotifyResourceDeploymentStatusChange on the run's own resource is answered, as the resource's account and "
        "region whatever the signature (strict mode too), recording outputs, not a status; anything else is "
        "AccessDeniedException. In-process there is no server to call back, so the variable is not set.",
    ),
    Decision(
        "P-20",
        "A run's exit 0 succeeds (a delete: DELETE_COMPLETE); another code fails `Provisioning commands exited with "
        "code <n>: <last output line, at most 200 characters>`; past `--codebuild-timeout` SIGTERM, SIGKILL 10 s "
        "later, FAILED `Provisioning commands timed out after <n> seconds`. A `proton-outputs.json` left behind "
        "(`[{key, valueString}]` or a string mapping) gives the outputs; the log is stdout and stderr, the last 1 "
        "MiB; a run a restart interrupted is not repeated: FAILED `Provisioning commands were interrupted by a "
        "restart`. A cancel ends the deployment CANCELLED at once (D-2) and stops a run under way within a second "
        "as a timeout does (SIGTERM, SIGKILL 10 s later); its log ends with a line saying so, its outputs are not "
        "kept, and its callback token is revoked at the cancel.",
    ),
    Decision(
        "P-21",
        "The repository map (`--repository-map FILE`: JSON from `<PROVIDER>:<name>` to `{url, mode, accounts}`): an "
        "entry with `accounts` serves only those accounts; without, every account in default mode and none in "
        "strict mode. URLs are shown with their user information redacted (`https://***@host/...`) on every admin "
        "endpoint and in the mock's answers.",
    ),
    Decision(
        "P-22",
        "A self-managed deployment is committed from the tip of the repository's branch, in a private git index (no "
        "working tree), on branch `proton--proton-<type>-<deployment id>` (`<type>`: environment, service_instance, "
        "pipeline, component), one commit `Update requested for Proton - <path>` (a deletion's too) by `OpenProton "
        "<openproton@localhost>`: the folder's rendered files and `.proton/deployment-metadata.json` (Jackson's "
        "pretty style); files of the folder that begin with the managed header and are no longer rendered are "
        "removed, except in another resource's folder (one holding its own metadata file); a link or file where a "
        "folder goes, or a link where a file goes, fails the deployment `Unable to push to <key>: <path> is not a "
        "directory in <key>`. `branch` mode pushes the branch; `direct` also fast-forwards the target, atomically "
        "(a target that moved meanwhile is fetched again and the commit made again on it, up to 3 times). The "
        "commit is kept in the job before its push, so a worker that resumes the job after the push does not push "
        "again, and one that resumes it before the push landed pushes that same commit again (while the git cache "
        "holds it: `--sync-cache` keeps it across restarts). A deletion keeps the files, marks their header and the "
        "metadata, and ends DELETE_COMPLETE once pushed; an update waits for NotifyResourceDeploymentStatusChange. "
        "An unmapped repository (or one whose entry does not serve the account) gets nothing written; a Terraform "
        "deployment with no repository at all (a pipeline without the account's) is no job and ends as without the "
        "provisioner. A cancelled deployment's branch is deleted only while it still points at the pushed commit; "
        "files larger than 1 MiB are never read or changed.",
    ),
    Decision(
        "P-23",
        "A self-managed cancel ends CANCELLED at once (D-2); the branch it pushed is deleted by the worker unless "
        "the target branch already contains it (merged); a cancel before the push pushes nothing. A failed fetch, "
        "a missing target branch or a refused push fails the deployment (a deletion: DELETE_FAILED) `Unable to "
        "push to <key>: <git's last error line>`, the URL shown as the key.",
    ),
    Decision(
        "P-17",
        "A CloudFormation cancel answers CANCELLING and leaves the deployment under way: the worker calls "
        "CancelUpdateStack at its next poll if the stack is UPDATE_IN_PROGRESS and ends the deployment as the stack "
        "does (UPDATE_ROLLBACK_COMPLETE: CANCELLED `User initiated cancellation.`; a finished update: SUCCEEDED; a "
        "failed rollback: FAILED); a CancelUpdateStack refused as too late (ValidationError) makes a later "
        "rollback the update's own failure (FAILED), another error is retried at the next poll; a stack in any "
        "other status is left alone, and a job that has not called CloudFormation yet ends CANCELLED without a "
        "call.",
    ),
    Decision(
        "Y-14",
        "A service sync config needs its service (ValidationException `Service <name> does not exist`), the link "
        "and no `..` segment in filePath (ValidationException); one per service. Missing: ResourceNotFoundException "
        "`The requested service sync config does not exist: <service>`. Delete returns it and deletes no instance; "
        "deleting the service deletes it.",
    ),
)

# W-3: the page size when a list call gives no maxResults.
DEFAULT_MAX_RESULTS = 100

# W-4: the largest request body read, in bytes.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024

# W-13: the deepest nesting of objects and arrays a request body may have.
MAX_BODY_DEPTH = 64

# W-14: the longest access key ID (IAM's AccessKeyId is 16 to 128 characters).
MAX_ACCESS_KEY_LENGTH = 128

# W-15: the largest request head, in bytes.
DEFAULT_MAX_HEAD_BYTES = 64 * 1024

# W-16: seconds to send a whole request; seconds an idle keep-alive connection stays open; open connections.
DEFAULT_REQUEST_TIMEOUT_SECONDS = 10.0
DEFAULT_KEEP_ALIVE_SECONDS = 5.0
DEFAULT_MAX_CONNECTIONS = 1000

# E-5: a connection needs one of these roles to provision anything.
CONNECTION_ROLE_MEMBERS = ("roleArn", "codebuildRoleArn")

# E-7: the statuses that make a connection "live" for the one-live-connection rule.
LIVE_CONNECTION_STATUSES = ("PENDING", "CONNECTED")

# E-13: the smallest step of lastModifiedAt, in milliseconds.
LAST_MODIFIED_MIN_STEP_MS = 1

MAX_TAGS_PER_RESOURCE = 50  # [doc] 50 tags per resource; E-14 applies it to the merged set
RESERVED_TAG_PREFIX = "aws:"  # [doc]


# D-12: the status message of a deployment that fails under the `fail` policy without a message of its own.
SETTLE_FAIL_MESSAGE = "The deployment failed under OpenProton's settle policy `fail`; nothing was provisioned."


def by_id() -> dict[str, Decision]:
    return {decision.id: decision for decision in DECISIONS}
