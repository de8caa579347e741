// The JavaScript SDK's standard retry policy against a "throttle attempt 1" rule: it retries once and succeeds;
// with retries off it reports the ThrottlingException. Prints one JSON line.
import { ProtonClient, ListEnvironmentAccountConnectionsCommand } from "@aws-sdk/client-proton";

const endpoint = process.argv[2];
const make = (maxAttempts) =>
  new ProtonClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "111111111111", secretAccessKey: "secret" },
    maxAttempts,
  });
const command = () => new ListEnvironmentAccountConnectionsCommand({ requestedBy: "ENVIRONMENT_ACCOUNT" });

const out = await make(3).send(command());
let withoutRetries;
try {
  await make(1).send(command());
  withoutRetries = { name: "none" };
} catch (err) {
  withoutRetries = { name: err.name, status: err.$metadata.httpStatusCode, attempts: err.$metadata.attempts };
}
console.log(JSON.stringify({ attempts: out.$metadata.attempts, status: out.$metadata.httpStatusCode, withoutRetries }));
