// The connection scenario with the AWS SDK for JavaScript v3 against a real `openproton serve`.
//
//   node scenario.mjs http://127.0.0.1:PORT
//
// Every step asserts what the SDK itself reports: err.name, err.$metadata, Date objects, paginator pages.
// Prints one line per step and a closing "N passed, N failed"; exits 1 on the first failure.
import assert from "node:assert/strict";
import {
  ProtonClient,
  CreateEnvironmentAccountConnectionCommand,
  ListEnvironmentAccountConnectionsCommand,
  AcceptEnvironmentAccountConnectionCommand,
  RejectEnvironmentAccountConnectionCommand,
  GetEnvironmentAccountConnectionCommand,
  UpdateEnvironmentAccountConnectionCommand,
  DeleteEnvironmentAccountConnectionCommand,
  paginateListEnvironmentAccountConnections,
} from "@aws-sdk/client-proton";

const endpoint = process.argv[2];
if (!endpoint) {
  console.error("usage: node scenario.mjs ENDPOINT");
  process.exit(2);
}

const ENV = "111111111111";
const MGMT = "222222222222";
const OTHER = "333333333333";
const PAGE_ENV = "444444444444";
const PAGE_MGMT = "555555555555";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const client = (account) =>
  new ProtonClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: account, secretAccessKey: "secret" },
    maxAttempts: 1,
  });
const env = client(ENV);
const mgmt = client(MGMT);
const other = client(OTHER);
const role = (account, name = "proton") => `arn:aws:iam::${account}:role/${name}`;

async function expectError(promise, name, message) {
  try {
    await promise;
  } catch (err) {
    assert.equal(err.name, name);
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.match(err.$metadata.requestId, UUID);
    if (message !== undefined) assert.equal(err.message, message);
    return err;
  }
  assert.fail(`expected ${name}, but the call succeeded`);
}

let passed = 0;
async function step(title, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok ${passed} - ${title}`);
  } catch (err) {
    console.log(`not ok - ${title}\n${err.stack || err}`);
    console.log(`${passed} passed, 1 failed`);
    process.exit(1);
  }
}

let connection;
let rejected;

await step("the environment account creates a connection", async () => {
  const out = await env.send(new CreateEnvironmentAccountConnectionCommand({
    environmentName: "dev", managementAccountId: MGMT, roleArn: role(ENV),
  }));
  connection = out.environmentAccountConnection;
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.match(connection.id, UUID);
  assert.equal(connection.status, "PENDING");
  assert.ok(connection.requestedAt instanceof Date, "requestedAt is a Date");
  assert.ok(connection.lastModifiedAt instanceof Date, "lastModifiedAt is a Date");
  assert.equal(connection.requestedAt.getTime(), connection.lastModifiedAt.getTime());
  assert.ok(Math.abs(Date.now() - connection.requestedAt.getTime()) < 60_000, "requestedAt is now");
  assert.equal(connection.arn, `arn:aws:proton:us-east-1:${ENV}:environment-account-connection/${connection.id}`);
});

await step("the management account lists the requests", async () => {
  const out = await mgmt.send(new ListEnvironmentAccountConnectionsCommand({ requestedBy: "MANAGEMENT_ACCOUNT" }));
  assert.deepEqual(out.environmentAccountConnections.map((c) => c.id), [connection.id]);
  assert.equal(out.nextToken, undefined);
  assert.ok(out.environmentAccountConnections[0].requestedAt instanceof Date);
});

await step("the management account accepts it", async () => {
  const out = await mgmt.send(new AcceptEnvironmentAccountConnectionCommand({ id: connection.id }));
  assert.equal(out.environmentAccountConnection.status, "CONNECTED");
  assert.ok(out.environmentAccountConnection.lastModifiedAt > connection.lastModifiedAt);
  assert.equal(out.environmentAccountConnection.requestedAt.getTime(), connection.requestedAt.getTime());
  connection = out.environmentAccountConnection;
});

await step("both accounts get it", async () => {
  for (const who of [env, mgmt]) {
    const out = await who.send(new GetEnvironmentAccountConnectionCommand({ id: connection.id }));
    assert.deepEqual(out.environmentAccountConnection, connection);
  }
});

await step("the environment account updates it", async () => {
  const out = await env.send(new UpdateEnvironmentAccountConnectionCommand({
    id: connection.id, componentRoleArn: role(ENV, "component"),
  }));
  assert.equal(out.environmentAccountConnection.componentRoleArn, role(ENV, "component"));
  assert.equal(out.environmentAccountConnection.roleArn, role(ENV));
  assert.equal(out.environmentAccountConnection.status, "CONNECTED");
});

await step("accepting a rejected connection is a ConflictException", async () => {
  const out = await env.send(new CreateEnvironmentAccountConnectionCommand({
    environmentName: "staging", managementAccountId: MGMT, roleArn: role(ENV),
  }));
  rejected = out.environmentAccountConnection;
  const gone = await mgmt.send(new RejectEnvironmentAccountConnectionCommand({ id: rejected.id }));
  assert.equal(gone.environmentAccountConnection.status, "REJECTED");
  await expectError(
    mgmt.send(new AcceptEnvironmentAccountConnectionCommand({ id: rejected.id })),
    "ConflictException",
    `Environment account connection ${rejected.id} is REJECTED and cannot be accepted`,
  );
});

await step("the wrong party gets AccessDeniedException", async () => {
  await expectError(
    env.send(new AcceptEnvironmentAccountConnectionCommand({ id: connection.id })),
    "AccessDeniedException",
    `Only the management account ${MGMT} can accept environment account connection ${connection.id}`,
  );
  await expectError(
    mgmt.send(new DeleteEnvironmentAccountConnectionCommand({ id: connection.id })),
    "AccessDeniedException",
    `Only the environment account ${ENV} can delete environment account connection ${connection.id}`,
  );
});

await step("another account gets ResourceNotFoundException", async () => {
  await expectError(
    other.send(new GetEnvironmentAccountConnectionCommand({ id: connection.id })),
    "ResourceNotFoundException",
    `The requested environment account connection does not exist: ${connection.id}`,
  );
});

await step("a malformed id gets ValidationException in AWS's wording", async () => {
  await expectError(
    env.send(new GetEnvironmentAccountConnectionCommand({ id: "not-a-uuid" })),
    "ValidationException",
    "1 validation error detected: Value 'not-a-uuid' at 'id' failed to satisfy constraint: Member must satisfy " +
      "regular expression pattern: ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
  );
});

await step("the environment account deletes it", async () => {
  const out = await env.send(new DeleteEnvironmentAccountConnectionCommand({ id: connection.id }));
  assert.equal(out.environmentAccountConnection.id, connection.id);
  await expectError(
    env.send(new GetEnvironmentAccountConnectionCommand({ id: connection.id })),
    "ResourceNotFoundException",
  );
});

await step("the paginator walks 250 connections over pages of 7, each exactly once", async () => {
  const pager = client(PAGE_ENV);
  const created = [];
  for (let i = 0; i < 250; i += 1) {
    const out = await pager.send(new CreateEnvironmentAccountConnectionCommand({
      environmentName: `env${i}`, managementAccountId: PAGE_MGMT, roleArn: role(PAGE_ENV),
    }));
    created.push(out.environmentAccountConnection.id);
  }
  const pages = [];
  for await (const page of paginateListEnvironmentAccountConnections(
    { client: client(PAGE_MGMT), pageSize: 7 },
    { requestedBy: "MANAGEMENT_ACCOUNT" },
  )) {
    pages.push(page);
  }
  assert.equal(pages.length, 36);
  assert.ok(pages.slice(0, -1).every((p) => p.environmentAccountConnections.length === 7));
  assert.equal(pages.at(-1).environmentAccountConnections.length, 250 - 35 * 7);
  const seen = pages.flatMap((p) => p.environmentAccountConnections.map((c) => c.id));
  assert.equal(new Set(seen).size, 250, "every item exactly once");
  assert.deepEqual([...seen].sort(), [...created].sort());
  const tokens = pages.slice(0, -1).map((p) => p.nextToken);
  assert.equal(new Set(tokens).size, tokens.length, "no token repeats");
  assert.equal(pages.at(-1).nextToken, undefined);
});

console.log(`${passed} passed, 0 failed`);
