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
        "succeeded deployment of an existing environment; otherwise ValidationException (the model gives it no "
        "ConflictException). Deployments outlive their environment (ours).",
    ),
    Decision(
        "D-11",
        "NotifyResourceDeploymentStatusChange applies only to self-managed environments (else ValidationException) "
        "and to a deployment under way (else ConflictException); without `status` it records outputs only. Deletes "
        "of self-managed environments also wait for it (ours).",
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
