/**
 * A kubeconfig with no stored credential: an exec credential plugin that asks GitHub Actions for
 * an OIDC token (audience `team-environments`) each time the client needs one. The API server maps
 * the token to `github:<owner/repo>:<environment>` (docs/ci-cd.md), which the cluster stack binds
 * to the environment's deployer Role when `ciOidcRepository` is set. Tokens live minutes; the
 * plugin fetches a fresh one whenever the client's expires, so long `pulumi up`s keep working.
 *
 * The job needs `permissions: id-token: write` (GitHub then sets ACTIONS_ID_TOKEN_REQUEST_URL and
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN) and runs in its GitHub environment (no environment claim, no
 * identity). The API server's URL and CA bundle are not secret: repository or environment variables.
 *
 * CLI: KUBE_SERVER=https://… KUBE_CA_DATA=<base64 PEM> oidc-kubeconfig.ts --name <label> --namespace <ns>
 *      oidc-kubeconfig.ts --exec-credential      (what the kubeconfig runs; prints an ExecCredential)
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CiError, envValue, exportEnv, parseFlags, requireFlag, runCli } from "./cli";

/** The audience the API server's JWT authenticator accepts. */
export const OIDC_AUDIENCE = "team-environments";

/** The token request GitHub's runner serves: its URL plus our audience, and its bearer. */
export function tokenRequest(env: NodeJS.ProcessEnv): { url: string; bearer: string } {
  const url = envValue("ACTIONS_ID_TOKEN_REQUEST_URL", env);
  const bearer = envValue("ACTIONS_ID_TOKEN_REQUEST_TOKEN", env);
  if (!url || !bearer) {
    throw new CiError("no OIDC token available: give the job `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL is unset)", 2);
  }
  const u = new URL(url);
  u.searchParams.set("audience", OIDC_AUDIENCE);
  return { url: u.toString(), bearer };
}

/** The exp claim of a JWT, as an RFC 3339 timestamp (the client refreshes after it). */
export function expiryOf(jwt: string): string {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw new CiError("the OIDC token is not a JWT", 1);
  const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as { exp?: unknown };
  if (typeof claims.exp !== "number") throw new CiError("the OIDC token has no exp claim", 1);
  return new Date(claims.exp * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Asks the runner for a token; the error names the step, never the bearer. */
export async function fetchToken(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { url, bearer } = tokenRequest(env);
  const res = await fetch(url, { headers: { Authorization: `Bearer ${bearer}`, Accept: "application/json" } });
  if (!res.ok) throw new CiError(`OIDC token request failed: HTTP ${res.status}`, 1);
  const body = (await res.json()) as { value?: unknown };
  if (typeof body.value !== "string") throw new CiError("OIDC token response has no value", 1);
  return body.value;
}

/** The kubeconfig: server and CA from variables, the user an exec plugin running this script. */
export function oidcKubeconfig(args: { name: string; server: string; caData: string; namespace: string; script: string; node: string }): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: args.name, cluster: { server: args.server, "certificate-authority-data": args.caData } }],
      users: [
        {
          name: args.name,
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1",
              command: args.node,
              args: ["-r", "ts-node/register/transpile-only", args.script, "--exec-credential"],
              interactiveMode: "Never",
              provideClusterInfo: false,
            },
          },
        },
      ],
      contexts: [{ name: args.name, context: { cluster: args.name, user: args.name, namespace: args.namespace } }],
      "current-context": args.name,
    },
    null,
    2,
  );
}

async function main(argv: string[]): Promise<void> {
  const usage = "oidc-kubeconfig.ts --name <label> --namespace <ns>   (reads KUBE_SERVER, KUBE_CA_DATA) | --exec-credential";
  const flags = parseFlags(argv, { name: { type: "string" }, namespace: { type: "string" }, "exec-credential": { type: "boolean" } }, usage);
  if (flags["exec-credential"]) {
    const token = await fetchToken();
    const credential = { apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token, expirationTimestamp: expiryOf(token) } };
    process.stdout.write(`${JSON.stringify(credential)}\n`);
    return;
  }
  const name = requireFlag(flags.name, "name", usage);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new CiError(`invalid --name "${name}": letters, digits, - and _ only`, 2);
  const namespace = requireFlag(flags.namespace, "namespace", usage);
  const server = envValue("KUBE_SERVER");
  if (!server || !/^https:\/\/\S+$/.test(server)) throw new CiError("KUBE_SERVER must be the API server's https:// URL (a variable, not a secret)", 2);
  const caData = envValue("KUBE_CA_DATA");
  if (!caData || !/^[A-Za-z0-9+/=]+$/.test(caData)) throw new CiError("KUBE_CA_DATA must be the base64 of the API server's CA bundle", 2);
  tokenRequest(process.env); // fail now, not in the middle of `pulumi up`, when the job cannot get tokens
  const config = oidcKubeconfig({ name, server, caData, namespace, script: resolve(__filename), node: process.execPath });
  const path = join(envValue("RUNNER_TEMP") ?? tmpdir(), `kubeconfig-${name}`);
  writeFileSync(path, config, { mode: 0o600 });
  exportEnv("KUBECONFIG", path);
  process.stdout.write(`kubeconfig for the OIDC user of this job written to ${path}\n`);
}

if (require.main === module) runCli(main);
