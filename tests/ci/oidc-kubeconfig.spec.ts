import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { createServer, Server } from "node:http";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expiryOf, OIDC_AUDIENCE, tokenRequest } from "../../scripts/ci/oidc-kubeconfig";

const SCRIPT = join(__dirname, "..", "..", "scripts", "ci", "oidc-kubeconfig.ts");
const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.c2ln`;

/** Runs the CLI in a child (the test's own event loop must stay free to serve the token endpoint). */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", SCRIPT, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolveRun({ code, stdout, stderr }));
  });
}

describe("oidc-kubeconfig (a kubeconfig with no stored credential)", function () {
  this.timeout(60_000);
  let server: Server;
  let url: string;
  const seen: { authorization?: string; audience?: string | null }[] = [];
  const token = jwt({ exp: 1893456000, repository: "acme/shop", environment: "production" });

  before(async () => {
    server = createServer((req, res) => {
      const u = new URL(req.url ?? "/", "http://x");
      seen.push({ authorization: req.headers.authorization, audience: u.searchParams.get("audience") });
      if (req.headers.authorization !== "Bearer runner-secret") {
        res.writeHead(403).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ value: token }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address() as { port: number };
    url = `http://127.0.0.1:${addr.port}/token?api-version=2.0`;
  });
  after(() => server.close());

  it("asks for our audience, keeping the runner's own query", () => {
    const req = tokenRequest({ ACTIONS_ID_TOKEN_REQUEST_URL: "https://runner/x?api-version=2.0", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" });
    assert.equal(req.url, `https://runner/x?api-version=2.0&audience=${OIDC_AUDIENCE}`);
    assert.throws(() => tokenRequest({}), /permissions: id-token: write/);
  });

  it("reads the expiry the client must refresh at", () => {
    assert.equal(expiryOf(jwt({ exp: 1893456000 })), "2030-01-01T00:00:00Z");
    assert.throws(() => expiryOf("not-a-jwt"), /not a JWT/);
  });

  it("writes an exec-plugin kubeconfig (no token in it) and the plugin returns a fresh ExecCredential", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oidc-kubeconfig-"));
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: url,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-secret",
      KUBE_SERVER: "https://k8s.example:6443",
      KUBE_CA_DATA: Buffer.from("-----BEGIN CERTIFICATE-----").toString("base64"),
      RUNNER_TEMP: dir,
      GITHUB_ENV: join(dir, "github-env"),
    };
    const made = await cli(["--name", "production", "--namespace", "production"], env);
    assert.equal(made.code, 0, made.stderr);
    const config = JSON.parse(readFileSync(join(dir, "kubeconfig-production"), "utf8"));
    assert.equal(config.users[0].user.token, undefined);
    assert.deepStrictEqual(config.users[0].user.exec.args.slice(-1), ["--exec-credential"]);
    assert.equal(config.clusters[0].cluster.server, "https://k8s.example:6443");
    assert.match(readFileSync(env.GITHUB_ENV, "utf8"), /KUBECONFIG/);
    const exec = await cli(["--exec-credential"], env);
    assert.equal(exec.code, 0, exec.stderr);
    assert.deepStrictEqual(JSON.parse(exec.stdout), {
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { token, expirationTimestamp: "2030-01-01T00:00:00Z" },
    });
    assert.deepStrictEqual(seen.at(-1), { authorization: "Bearer runner-secret", audience: OIDC_AUDIENCE });
  });

  it("fails with one line naming what is missing, and never prints the runner's bearer", async () => {
    const noIdToken = await cli(["--name", "p", "--namespace", "production"], { KUBE_SERVER: "https://k", KUBE_CA_DATA: "QQ==", ACTIONS_ID_TOKEN_REQUEST_URL: "" });
    assert.equal(noIdToken.code, 2);
    assert.match(noIdToken.stderr, /^error: no OIDC token available: give the job `permissions: id-token: write`/);
    const noServer = await cli(["--name", "p", "--namespace", "production"], { KUBE_SERVER: "http://plain", ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "x" });
    assert.match(noServer.stderr, /^error: KUBE_SERVER must be the API server's https:\/\/ URL/);
    const refused = await cli(["--exec-credential"], { ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "wrong" });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: OIDC token request failed: HTTP 403/);
    assert.doesNotMatch(refused.stderr + refused.stdout, /wrong|runner-secret/);
  });
});
