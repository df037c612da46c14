/**
 * GitHub Actions OIDC tokens, minted by the local issuer's key (scripts/cluster.sh) in the shape
 * GitHub issues them: `repository`, `environment` only for a job that ran in an environment,
 * `sub` naming the environment or the ref.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import { spawnSync } from "child_process";
import { apiServerUrl, clusterPaths, oidcIssuer } from "../../scripts/local/env";

/** Signs `claims` (plus iss/aud/iat/nbf/exp unless given) as an RS256 JWT with the issuer's key. */
export function mintToken(claims: Record<string, unknown>): string {
  const key = crypto.createPrivateKey(fs.readFileSync(clusterPaths().oidcSigningKey));
  const jwk = crypto.createPublicKey(key).export({ format: "jwk" });
  const kid = crypto.createHash("sha256").update(String(jwk.n)).digest("hex").slice(0, 16);
  const now = Math.floor(Date.now() / 1000);
  const { url, audience } = oidcIssuer();
  const body = { iss: url, aud: audience, iat: now, nbf: now - 5, exp: now + 600, ...claims };
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${part({ alg: "RS256", typ: "JWT", kid })}.${part(body)}`;
  return `${input}.${crypto.sign("sha256", Buffer.from(input), key).toString("base64url")}`;
}

/** A job's token: in `environment` when given, else a plain branch job. */
export function jobToken(repository: string, environment?: string, extra: Record<string, unknown> = {}): string {
  const sub = environment ? `repo:${repository}:environment:${environment}` : `repo:${repository}:ref:refs/heads/attack`;
  return mintToken({ sub, repository, ref: "refs/heads/main", ...(environment ? { environment } : {}), ...extra });
}

/** kubectl with a bearer token and nothing else (no kubeconfig credentials). */
export function kubectlWithToken(token: string, args: string[]): { ok: boolean; out: string } {
  const res = spawnSync(
    "kubectl",
    ["--kubeconfig", "/dev/null", "--server", apiServerUrl(), "--certificate-authority", clusterPaths().ca, "--token", token, ...args],
    { encoding: "utf8" },
  );
  return { ok: res.status === 0, out: `${res.stdout}${res.stderr}`.trim() };
}
