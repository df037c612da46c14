/**
 * End to end: the real Pulumi engine, providers and policy pack against the local control plane.
 * Starts what it needs (toolchain, cluster) and stops the cluster if it started it.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { readFences } from "../../policy/analysis/fences";
import { allows, evaluateRbac, readRbac } from "../../policy/analysis/rbac";
import { allowedInPreview, attackGrid, attempt, ATTACKERS, contentAttacks } from "./attacks";
import { jobToken, kubectlWithToken } from "./oidc";
import { loadStackExport } from "../../policy/analysis/stack-export";
import { driftReport } from "../../scripts/ci/drift";
import { parsePreviewSummary } from "../../scripts/ci/preview-summary";
import { driftArgs } from "../../scripts/ci/pulumi";
import { apiServerUrl, AUTOMATIC_LOG_OFF, clusterDown, clusterIsUp, clusterPaths, clusterUp, pulumiHome, run, toolchainEnv } from "../../scripts/local/env";
import { LocalStacks } from "../../scripts/local/stacks";
import { kubectl, kubectlJson, kubectlResult } from "./kubectl";

const APP_STACKS = ["qa", "staging", "production", "feature-pr-7"];
const ALL = ["cluster", ...APP_STACKS];
const TAG = "3f9c2a1e";

let stacks: LocalStacks;
let startedCluster = false;

/** Every process below `pid`, from `ps` (pids only: nothing is matched by name). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const line of spawnSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout.split("\n")) {
    const [p, parent] = line.trim().split(/\s+/).map(Number);
    if (Number.isInteger(p) && Number.isInteger(parent)) children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/**
 * SIGKILLs a child and every process below it. Its plugins (language host, providers) run in their
 * own process groups and outlive a SIGKILLed engine: their pids are noted first.
 */
async function killTree(child: ChildProcess): Promise<void> {
  const below = descendants(child.pid!);
  child.kill("SIGKILL");
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once("exit", r));
  for (const pid of below) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Resources in a `pulumi stack export`. */
const resourceCount = (exported: string): number => (JSON.parse(exported).deployment.resources ?? []).length;

/** Node's arguments for the PR-close teardown of PR `pr`, run from the project as the workflow runs it. */
const teardownArgs = (pr: number): string[] => ["-r", "ts-node/register/transpile-only", "scripts/ci/destroy-feature.ts", "--pr", String(pr)];

/** Checks every `everyMs` until `check` holds, at most `tries` times; whether it held. */
async function until(everyMs: number, tries: number, check: () => boolean): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    if (check()) return true;
  }
  return false;
}

/** Runs the PR-close teardown (scripts/ci/destroy-feature.ts) as the workflow does; returns its log. */
function tearDown(pr: number, env: NodeJS.ProcessEnv = {}): string {
  const res = spawnSync(process.execPath, teardownArgs(pr), {
    cwd: stacks.project,
    env: { ...stacks.env, ...env },
    encoding: "utf8",
  });
  assert.strictEqual(res.status, 0, `destroy-feature.ts --pr ${pr} exited ${res.status}:\n${res.stderr.slice(-4000)}`);
  return res.stderr;
}

/** The preview's namespace is gone and its stack removed. */
function assertTornDown(stack: string): void {
  const gone = kubectlResult(["get", "namespace", stack]);
  assert.match(gone.stderr, /NotFound/);
  assert.ok(!stacks.stacks().includes(stack));
}

function configFor(stack: string): Record<string, unknown> {
  if (stack === "cluster") return { apiServerUrl: apiServerUrl(), ciOidcRepository: "acme/shop" };
  if (stack.startsWith("feature-pr-")) return { imageTag: "9b1d3c7" };
  return {};
}

describe("end to end on a local control plane", function () {
  this.timeout(60 * 60 * 1000);

  before(() => {
    const toolchain = toolchainEnv();
    // The suite owns the control plane for its run: objects left by a demo or an earlier run
    // would be foreign to its fresh state backend.
    if (clusterIsUp()) clusterDown();
    // Fake nodes (the fast mode): what this suite proves is decided by the API server (RBAC,
    // admission, the engine's lifecycle); real-pods.spec.ts and network.spec.ts run real nodes.
    startedCluster = clusterUp({ nodeKind: "kwok" });
    run("policy deps", "bash", ["scripts/policy-deps.sh"]);
    stacks = new LocalStacks("e2e", toolchain, { fresh: true });
  });

  after(() => {
    if (startedCluster) clusterDown();
  });

  it("previews and ups every stack with the policy pack, on the installed plugins of the versions the SDKs ask for", () => {
    // A provider found on PATH, or of another version than its SDK's, is a warning on every run.
    const pluginWarning = /warning:[^\n]*(from \$PATH|plugin|pulumi-resource-|pulumi-language-)/i;
    for (const stack of ALL) {
      stacks.ensureStack(stack, configFor(stack));
      const preview = stacks.preview(stack);
      assert.ok(preview.ok, `preview ${stack}:\n${preview.output}`);
      assert.doesNotMatch(preview.output, pluginWarning, `preview ${stack}`);
      // A new installation: staging goes first, with nothing to compare with; production then compares with it.
      if (stack === "staging") assert.match(preview.output, /staging-production-parity: first deploy: stack production does not exist in this backend/);
      if (stack === "production") assert.match(preview.output, /staging-production-parity: compared production with stack staging \(\d+ resources, read from the backend\)/);
      assert.doesNotMatch(stacks.up(stack), pluginWarning, `up ${stack}`);
    }
    // Control: with the random provider on PATH and ambient plugins allowed (the toolchain's
    // old way), the same engine does warn, on the same output the checks above read.
    const plugins = stacks.env.TEAM_ENV_PULUMI_PLUGINS!;
    const random = fs.readdirSync(plugins).find((d) => /^resource-random-v[\d.]+$/.test(d))!;
    const ambient = { PATH: `${path.join(plugins, random)}:${stacks.env.PATH}`, PULUMI_IGNORE_AMBIENT_PLUGINS: "false" };
    assert.match(stacks.pulumi(["preview", "--stack", "qa"], "pulumi preview --stack qa (provider on PATH)", ambient), pluginWarning);
  });

  it("checks parity by hand as the README says: the pack finds the peer stack through the backend", () => {
    // With the committed config, and with none at all (the rules' defaults): nothing but the backend login and passphrase.
    for (const [stack, peer, config] of [["staging", "production", ["--policy-pack-config", "policy/config/staging.json"]], ["production", "staging", []]] as const) {
      const out = stacks.pulumi(["preview", "--stack", stack, "--policy-pack", "policy", ...config], `pulumi preview --stack ${stack} (README form)`);
      assert.match(out, new RegExp(`staging-production-parity: compared ${stack} with stack ${peer} \\(\\d+ resources, read from the backend\\)`));
    }
  });

  it("keeps the program's and the pack's compiled modules in Node's compile cache", () => {
    // program-loader.js and policy/pack.js turn the cache on (policy/ts-loader.js); it goes to the
    // user's cache directory's node-compile-cache, so a run with a TEAM_ENV_CACHE of its own shows
    // what that run put there. Nothing else in a run writes it (Node does not cache unless asked).
    const tmp = fs.mkdtempSync(path.join(stacks.dir, "cache-"));
    const cache = path.join(tmp, "node-compile-cache");
    const ownCache = { TEAM_ENV_CACHE: tmp, NODE_COMPILE_CACHE: undefined };
    const cached = () => (fs.existsSync(cache) ? (fs.readdirSync(cache, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(cache, f)).isFile()).length : 0);
    try {
      stacks.pulumi(["preview", "--stack", "qa"], "pulumi preview --stack qa (own cache)", ownCache);
      const program = cached();
      assert.ok(program > 500, `the program's run cached ${program} modules`);
      // The pack loads its own node_modules (policy/): new modules, new entries.
      const pack = ["--policy-pack", "policy", "--policy-pack-config", stacks.policyConfig("qa")];
      stacks.pulumi(["preview", "--stack", "qa", ...pack], "pulumi preview --stack qa --policy-pack (own cache)", ownCache);
      assert.ok(cached() > program + 100, `the pack's run cached ${cached() - program} more`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("runs the CLI without its automatic log in a local workspace, and with it under TEAM_ENV_PULUMI_LOGS=1", () => {
    // Every run above went on with the file where the CLI's log directory would be, and left it as it was.
    const logs = path.join(stacks.env.PULUMI_HOME!, "logs");
    assert.strictEqual(fs.readFileSync(logs, "utf8"), AUTOMATIC_LOG_OFF);
    // Control: the same CLI in a PULUMI_HOME that keeps it writes the stack's encrypted log there.
    const home = fs.mkdtempSync(path.join(stacks.dir, "home-"));
    try {
      pulumiHome(home, { ...stacks.env, TEAM_ENV_PULUMI_LOGS: "1" });
      stacks.pulumi(["preview", "--stack", "qa"], "pulumi preview --stack qa (automatic log kept)", { PULUMI_HOME: home });
      const written = fs.readdirSync(path.join(home, "logs"));
      assert.ok(written.some((f) => /\+team-environments\+qa-\d{8}T\d{6}.*\.log$/.test(f)), `logs written: ${written.join(", ")}`);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("reports no changes on a second run", () => {
    for (const stack of ALL) {
      const again = stacks.preview(stack, ["--expect-no-changes"]);
      assert.ok(again.ok, `${stack} is not converged:\n${again.output}`);
    }
  });

  it("leaves Deployments Ready and PDBs, HPAs, quotas, NetworkPolicies and PrometheusRules in place", () => {
    for (const ns of APP_STACKS) {
      const deployments = kubectlJson(["get", "deployments", "-n", ns]).items as any[];
      assert.ok(deployments.length >= 4, `${ns} has ${deployments.length} deployments`);
      for (const d of deployments) {
        assert.strictEqual(d.status.readyReplicas ?? 0, d.status.replicas, `${ns}/${d.metadata.name} ready`);
      }
      // up does not wait on Services (k8s/await.ts): their live EndpointSlices prove the selectors instead.
      const slices = kubectlJson(["get", "endpointslices.discovery.k8s.io", "-n", ns]).items as any[];
      for (const svc of kubectlJson(["get", "services", "-n", ns]).items as any[]) {
        if (svc.spec.selector === undefined) continue;
        const ready = slices
          .filter((x) => x.metadata.labels?.["kubernetes.io/service-name"] === svc.metadata.name)
          .flatMap((x) => x.endpoints ?? [])
          .filter((e: any) => e.conditions?.ready === true).length;
        assert.ok(ready > 0, `${ns}/${svc.metadata.name} has ready endpoints`);
      }
      const quota = kubectlJson(["get", "resourcequota", "environment-quota", "-n", ns]);
      assert.ok(quota.status?.used?.pods !== undefined, `${ns} quota has status`);
      assert.ok(kubectlJson(["get", "networkpolicies", "-n", ns]).items.length >= 5);
    }
    for (const ns of ["staging", "production"]) {
      assert.strictEqual(kubectlJson(["get", "hpa", "-n", ns]).items.length, 4);
      assert.strictEqual(kubectlJson(["get", "pdb", "-n", ns]).items.length, 4);
      assert.strictEqual(kubectlJson(["get", "prometheusrules", "-n", ns]).items.length, 1);
    }
  });

  it("gives the same RBAC verdict as the API server on every cell (SubjectAccessReview)", () => {
    const model = readRbac(["cluster", "feature-pr-7", "staging"].flatMap((s) => loadStackExport(stacks.exportTo(s)).resources));
    const identities = {
      developer: { user: "dev1", groups: ["developers", "system:authenticated"] },
      qa: { user: "qa1", groups: ["qa-engineers", "system:authenticated"] },
      "ci qa": { user: "system:serviceaccount:qa:ci-deployer", groups: ["system:serviceaccounts", "system:serviceaccounts:qa", "system:authenticated"] },
      "ci staging": { user: "system:serviceaccount:staging:ci-deployer", groups: ["system:serviceaccounts", "system:serviceaccounts:staging", "system:authenticated"] },
      "ci production": { user: "system:serviceaccount:production:ci-deployer", groups: ["system:serviceaccounts", "system:serviceaccounts:production", "system:authenticated"] },
    };
    const cells: [string, string, string][] = [
      ["get", "", "pods"],
      ["create", "", "pods/exec"],
      ["get", "", "secrets"],
      ["create", "apps", "deployments"],
      ["patch", "apps", "deployments"],
      ["delete", "", "configmaps"],
      ["create", "batch", "jobs"],
      ["create", "rbac.authorization.k8s.io", "rolebindings"],
    ];
    const reviews: any[] = [];
    const keys: string[] = [];
    for (const [label, who] of Object.entries(identities)) {
      for (const ns of ["feature-pr-7", "qa", "staging", "production"]) {
        for (const [verb, group, resource] of cells) {
          const [res, sub] = resource.split("/");
          reviews.push({
            apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview",
            spec: { user: who.user, groups: who.groups, resourceAttributes: { namespace: ns, verb, group, resource: res, subresource: sub } },
          });
          keys.push(`${label}|${ns}|${verb} ${group}/${resource}`);
        }
      }
    }
    const input = JSON.stringify({ apiVersion: "v1", kind: "List", items: reviews });
    // One verdict per line, in the order of the reviews.
    const verdicts = run("SubjectAccessReviews", "kubectl", ["--kubeconfig", clusterPaths().admin, "create", "-f", "-", "-o", "jsonpath={.status.allowed}{\"\\n\"}"], {
      env: stacks.env,
      input,
    })
      .trim()
      .split("\n");
    const items = verdicts.map((v) => ({ status: { allowed: v === "true" } }));
    const disagreements: string[] = [];
    items.forEach((item, i) => {
      const [label, ns, rest] = keys[i].split("|");
      const [verb, gr] = rest.split(" ");
      const [group, ...resParts] = gr.split("/");
      const mine = allows(model, (identities as any)[label], verb, group, resParts.join("/"), ns);
      if (mine !== item.status.allowed) disagreements.push(`${keys[i]}: API server ${item.status.allowed}, evaluator ${mine}`);
    });
    assert.strictEqual(items.length, keys.length);
    assert.deepStrictEqual(disagreements, []);
    // And the lock itself, from the API server's mouth.
    for (const ns of ["staging", "production"]) {
      for (const [verb, group, resource] of cells.filter(([v]) => v !== "get")) {
        const i = keys.indexOf(`developer|${ns}|${verb} ${group}/${resource}`);
        assert.strictEqual(items[i].status.allowed, false, keys[i]);
      }
    }
  });

  it("honours the admission fences as the API server stored them: 0 developer paths, and none without reason", () => {
    const resources = ["cluster", "feature-pr-7", "qa", "staging", "production"].flatMap((s) => loadStackExport(stacks.exportTo(s)).resources);
    const fences = readFences(resources);
    assert.deepStrictEqual(
      fences.map((f) => f.user),
      ["system:serviceaccount:team-ci:preview-deployer"],
    );
    const model = readRbac(resources);
    assert.deepStrictEqual(evaluateRbac(model, { fences }).findings, []);
    // The same state without the fence: the preview deployer (pull-request code) reaches production.
    const unfenced = evaluateRbac(model, { fences: [] }).findings;
    assert.ok(unfenced.some((f) => f.subject === "ServiceAccount:team-ci/preview-deployer" && f.why.includes("pull-request")));
  });

  it("denies every path of the attack grid the pack denies, and allows exactly what it allows (real attempts)", () => {
    const resources = ["cluster", "feature-pr-7", "staging"].flatMap((s) => loadStackExport(stacks.exportTo(s)).resources);
    const cells = attackGrid(["kubectl", "--kubeconfig", clusterPaths().admin], readRbac(resources), readFences(resources), "feature-pr-7");
    const disagreements = cells.filter((c) => c.server !== c.pack).map((c) => `${c.key}: API server ${c.server} (${c.message}), pack ${c.pack}`);
    assert.deepStrictEqual(disagreements, []);
    const allowed = cells.filter((c) => c.server).map((c) => c.key);
    // Developers and the preview deployer change nothing outside their preview; reads of Secrets only there.
    for (const who of ["developer", "preview deployer"]) {
      const outside = allowed.filter((k) => k.startsWith(`${who} |`) && !k.includes("| feature-pr-7 |") && !k.endsWith("list Secrets"));
      assert.deepStrictEqual(outside, [], who);
    }
    assert.deepStrictEqual(allowed.filter((k) => k.endsWith("list Secrets") && !k.startsWith("ci ") && !k.startsWith("qa | qa")), [
      "preview deployer | feature-pr-7 | list Secrets",
    ]);
    const fenced = cells.filter((c) => c.key.startsWith("preview deployer | production") && !c.server);
    assert.ok(fenced.some((c) => /team-preview-deployer-fence/.test(c.message)), "the fence, not RBAC, stops the deployer's writes in production");
    console.log(`      attack grid: ${cells.length} attempts, ${cells.length - allowed.length} denied, API server == pack on every one`);
  });

  it("denies what only admission can stop, in the preview deployer's own preview, and lets the program's own objects through", () => {
    const kubectlAdmin = ["kubectl", "--kubeconfig", clusterPaths().admin];
    const deployer = ATTACKERS["preview deployer"];
    const failures: string[] = [];
    for (const a of contentAttacks("feature-pr-7", "yourteam.dev")) {
      const res = attempt(kubectlAdmin, deployer, a.args, a.manifest && JSON.stringify(a.manifest));
      if (res.ok || !a.deniedBy.test(res.message)) failures.push(`${a.what}: ${res.ok ? "allowed" : res.message}`);
    }
    // externalIPs are denied to everyone, the cluster admin's CI included.
    const externalIp = contentAttacks("qa", "yourteam.dev").filter((a) => a.deniedBy.source.includes("external-ips"));
    assert.strictEqual(externalIp.length, 1);
    const admin = attempt(kubectlAdmin, { user: "ci-admin", groups: ["system:masters"] }, externalIp[0].args, JSON.stringify(externalIp[0].manifest));
    if (admin.ok || !/team-no-external-ips/.test(admin.message)) failures.push(`externalIPs as an admin in qa: ${admin.ok ? "allowed" : admin.message}`);
    for (const a of allowedInPreview("feature-pr-7", "yourteam.dev", "7")) {
      const res = attempt(kubectlAdmin, deployer, a.args, a.manifest && JSON.stringify(a.manifest));
      if (!res.ok) failures.push(`${a.what} should be allowed: ${res.message}`);
    }
    assert.deepStrictEqual(failures, []);
  });

  it("deploys production from a GitHub job's OIDC token only when the job ran in the production environment (no stored secret)", () => {
    const who = kubectlWithToken(jobToken("acme/shop", "production"), ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
    assert.deepStrictEqual(who, { ok: true, out: "github:acme/shop:production" });
    const patch = ["patch", "deployment", "core-api", "-n", "production", "--type=merge", "-p", '{"metadata":{"annotations":{"e2e":"oidc"}}}', "--dry-run=server"];
    const deploy = kubectlWithToken(jobToken("acme/shop", "production"), patch);
    assert.ok(deploy.ok, deploy.out);
    const refused: [string, string, string[]][] = [
      ["a branch job (no environment claim)", jobToken("acme/shop"), patch],
      ["a job in staging, writing production", jobToken("acme/shop", "staging"), patch],
      ["a job in the preview environment", jobToken("acme/shop", "preview"), patch],
      ["another repository's production job", jobToken("evil/fork", "production"), patch],
      ["an expired token", jobToken("acme/shop", "production", { exp: Math.floor(Date.now() / 1000) - 120 }), patch],
      ["a token for another audience", jobToken("acme/shop", "production", { aud: "sts.amazonaws.com" }), patch],
      ["a production job writing RBAC", jobToken("acme/shop", "production"), ["create", "rolebinding", "x", "--clusterrole=edit", "--group=developers", "-n", "production", "--dry-run=server"]],
      ["a production job's token with a forged signature", `${jobToken("acme/shop", "production").split(".").slice(0, 2).join(".")}.${Buffer.from("forged").toString("base64url")}`, patch],
    ];
    const allowedWrongly = refused.filter(([, token, args]) => kubectlWithToken(token, args).ok).map(([what]) => what);
    assert.deepStrictEqual(allowedWrongly, []);
    // Not even authenticated: a branch job, and any other repository's environment job.
    assert.match(kubectlWithToken(jobToken("acme/shop"), ["auth", "whoami"]).out, /Unauthorized/);
    assert.match(kubectlWithToken(jobToken("evil/fork", "production"), ["auth", "whoami"]).out, /Unauthorized/);
  });

  it("deploys production with `pulumi up` through the OIDC exec-plugin kubeconfig CI writes (scripts/ci/oidc-kubeconfig.ts)", async () => {
    // The runner's token endpoint, as a separate process: `pulumi` runs synchronously here.
    const endpoint = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "tests/e2e/token-endpoint.ts", "acme/shop", "production", "runner-bearer"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const port = await new Promise<string>((resolvePort, reject) => {
        endpoint.stdout.on("data", (d: Buffer) => {
          const m = /listening (\d+)/.exec(String(d));
          if (m) resolvePort(m[1]);
        });
        endpoint.once("exit", (code) => reject(new Error(`token endpoint exited ${code}`)));
      });
      const env = {
        ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-bearer",
        KUBE_SERVER: apiServerUrl(),
        KUBE_CA_DATA: fs.readFileSync(clusterPaths().ca).toString("base64"),
        RUNNER_TEMP: stacks.dir,
        GITHUB_ENV: path.join(stacks.dir, "github-env"),
      };
      run("oidc-kubeconfig", process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/ci/oidc-kubeconfig.ts", "--name", "production-oidc", "--namespace", "production"], {
        env: { ...process.env, ...env },
      });
      const kubeconfig = path.join(stacks.dir, "kubeconfig-production-oidc");
      assert.doesNotMatch(fs.readFileSync(kubeconfig, "utf8"), /"token"/);
      const whoami = run("kubectl auth whoami", "kubectl", ["--kubeconfig", kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], {
        env: { ...stacks.env, ...env },
      });
      assert.strictEqual(whoami, "github:acme/shop:production");
      stacks.up("production", [], { ...env, KUBECONFIG: kubeconfig });
      const again = stacks.pulumi(["preview", "--stack", "production", "--expect-no-changes"], "pulumi preview production (OIDC)", { ...env, KUBECONFIG: kubeconfig });
      assert.match(again, /production/);
    } finally {
      endpoint.kill();
    }
  });

  it("checks drift as the nightly job does, as the read-only drift identity: every stack clean, drift found, no Secret read, no write", () => {
    const kubeconfig = path.join(stacks.dir, "drift-reader.kubeconfig");
    fs.writeFileSync(kubeconfig, String((stacks.outputs("cluster").kubeconfigs as Record<string, string>).drift), { mode: 0o600 });
    const asDrift = { KUBECONFIG: kubeconfig };
    const drift = (stack: string) => parsePreviewSummary(stacks.pulumi(driftArgs(stack), `drift check of ${stack} (drift identity)`, asDrift));
    for (const stack of ["cluster", "qa", "staging", "production"]) {
      const summary = drift(stack);
      assert.deepStrictEqual(summary.errors, [], stack);
      const report = driftReport(stack, summary);
      assert.ok(!report.drifted, report.lines.join("\n"));
    }
    // The refresh really ran with that kubeconfig, not the one the deploy recorded in the state:
    // the same check with a token the API server rejects fails.
    const bogus = path.join(stacks.dir, "bogus.kubeconfig");
    fs.writeFileSync(bogus, fs.readFileSync(kubeconfig, "utf8").replace(/"token": "[^"]+"/, '"token": "not-a-token"'), { mode: 0o600 });
    const refused = spawnSync("pulumi", [...driftArgs("production"), "--non-interactive"], { cwd: stacks.project, env: { ...stacks.env, KUBECONFIG: bogus }, encoding: "utf8" });
    assert.notStrictEqual(refused.status, 0, "a refresh with a rejected token must fail");
    // The provider reports a rejected token as credentials asked for, or as an unreachable cluster.
    const why = parsePreviewSummary(refused.stdout).errors.join("\n") + refused.stderr;
    assert.match(why, /Unauthorized|credentials|401|unreachable/i, why.slice(0, 2000));
    // Real attempts with its token: it reads objects, never a Secret, and changes nothing.
    const as = (args: string[]) => kubectlResult(args, kubeconfig);
    assert.strictEqual(as(["get", "configmaps", "-n", "production", "-o", "name"]).status, 0);
    for (const args of [
      ["get", "secrets", "-n", "production"],
      ["get", "secret", "ci-deployer-token", "-n", "production"],
      ["get", "secrets", "-n", "team-ci"],
      ["delete", "configmap", "--all", "-n", "production", "--dry-run=server"],
      ["create", "configmap", "x", "-n", "staging", "--dry-run=server"],
      ["scale", "deployment", "core-api", "--replicas=0", "-n", "production", "--dry-run=server"],
    ]) {
      const res = as(args);
      assert.notStrictEqual(res.status, 0, `drift identity: kubectl ${args.join(" ")}`);
      assert.match(res.stderr, /forbidden/i, args.join(" "));
    }
    // And the check still finds drift: a hand edit in qa, then the stack is put back.
    kubectl(["patch", "configmap", "core-api-config", "-n", "qa", "--type", "merge", "-p", '{"data":{"CACHE_TTL":"1"}}']);
    const drifted = drift("qa");
    assert.ok(driftReport("qa", drifted).drifted, "a hand-edited ConfigMap is drift");
    assert.ok(drifted.changed.some((c) => /ConfigMap/.test(c.type)), JSON.stringify(drifted.changed));
    stacks.pulumi(["up", "--stack", "qa", "--yes", "--skip-preview", "--refresh"], "pulumi up --refresh qa (undo the hand edit)");
    assert.ok(!driftReport("qa", drift("qa")).drifted);
  });

  it("fails the preview on the parity rule when production would run a tag staging does not", () => {
    stacks.ensureStack("production", { imageTag: "0ddba11" });
    try {
      // firstDeploy left on cannot skip the comparison: staging has state.
      const result = stacks.preview("production", [], { "staging-production-parity": { firstDeploy: true } });
      assert.ok(!result.ok, "the preview must fail");
      assert.match(result.output, /staging-production-parity/);
      assert.match(result.output, /0ddba11/);
    } finally {
      stacks.ensureStack("production", { imageTag: TAG });
    }
  });

  it("fails the preview on the locked-namespace rule when a RoleBinding grants developers edit in production", () => {
    const fixture = path.join(stacks.dir, "bad-rolebinding");
    fs.rmSync(fixture, { recursive: true, force: true });
    fs.mkdirSync(fixture, { recursive: true });
    fs.writeFileSync(path.join(fixture, "package.json"), JSON.stringify({ name: "bad-rolebinding", version: "0.0.0", main: "index.js" }));
    fs.writeFileSync(path.join(fixture, "Pulumi.yaml"), "name: bad-rolebinding\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n");
    fs.writeFileSync(
      path.join(fixture, "index.js"),
      `const k8s = require(${JSON.stringify(path.join(stacks.project, "node_modules", "@pulumi", "kubernetes"))});\n` +
        `new k8s.rbac.v1.RoleBinding("oops", { metadata: { name: "oops", namespace: "production" },\n` +
        `  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },\n` +
        `  subjects: [{ kind: "Group", name: "developers", apiGroup: "rbac.authorization.k8s.io" }] });\n`,
    );
    fs.symlinkSync(path.join(stacks.project, "node_modules"), path.join(fixture, "node_modules"));
    const env = stacks.env;
    run("stack init", "pulumi", ["stack", "init", "production-oops", "--non-interactive"], { cwd: fixture, env });
    const res = spawnSync(
      "pulumi",
      ["preview", "--non-interactive", "--stack", "production-oops", "--policy-pack", path.join(stacks.project, "policy"), "--policy-pack-config", stacks.policyConfig("production")],
      { cwd: fixture, env, encoding: "utf8" },
    );
    assert.notStrictEqual(res.status, 0, res.stdout);
    assert.match(res.stdout + res.stderr, /no-developer-write-in-locked-namespaces/);
  });

  it("runs a preview's whole life as the preview deployer: init, up, Ready, destroy, namespace gone, stack removed", () => {
    const stack = "feature-pr-8";
    // As CI runs it: with the preview deployer's kubeconfig (fenced, Secrets only in its previews).
    const kubeconfig = path.join(stacks.dir, "preview-deployer.kubeconfig");
    fs.writeFileSync(kubeconfig, String((stacks.outputs("cluster").kubeconfigs as Record<string, string>).previews), { mode: 0o600 });
    const asDeployer = { KUBECONFIG: kubeconfig };
    stacks.ensureStack(stack, configFor(stack));
    stacks.up(stack, [], asDeployer);
    const deployments = kubectlJson(["get", "deployments", "-n", stack]).items as any[];
    assert.ok(deployments.every((d) => d.status.readyReplicas === d.status.replicas));
    // The teardown the PR-close workflow runs (destroy, namespace check, stack rm).
    const log = tearDown(8, asDeployer);
    assert.match(log, /\$ PULUMI_SKIP_CHECKPOINTS=true pulumi destroy --stack feature-pr-8/);
    assertTornDown(stack);
  });

  it("tears a preview down again after a teardown killed midway (its destroy writes state only at the end)", async () => {
    const stack = "feature-pr-10";
    stacks.ensureStack(stack, configFor(stack));
    stacks.up(stack);
    const before = fs.readFileSync(stacks.exportTo(stack), "utf8");
    const child = spawn(process.execPath, teardownArgs(10), { cwd: stacks.project, env: stacks.env, stdio: "ignore" });
    // Kill it once the namespace is being deleted: the deletes before it are done, the state not yet written.
    const terminating = await until(250, 240, () => kubectlResult(["get", "namespace", stack, "-o", "jsonpath={.metadata.deletionTimestamp}"]).stdout.trim() !== "");
    await killTree(child);
    assert.ok(terminating, `namespace ${stack} was never seen terminating during the teardown`);
    // Nothing was written midway: the stack still holds every resource it held before.
    assert.strictEqual(resourceCount(fs.readFileSync(stacks.exportTo(stack), "utf8")), resourceCount(before));
    stacks.pulumi(["cancel", "--yes", "--stack", stack]);
    tearDown(10);
    assertTornDown(stack);
  });

  it("converges on the next run after an up killed midway", async () => {
    const stack = "feature-pr-9";
    stacks.ensureStack(stack, configFor(stack));
    const child = spawn("pulumi", ["up", "--stack", stack, "--yes", "--skip-preview", "--non-interactive"], { cwd: stacks.project, env: stacks.env, stdio: "ignore" });
    // Kill it once it has created some objects but not all.
    await until(500, 240, () => {
      const found = kubectlResult(["get", "deployments", "-n", stack, "--no-headers"]);
      return found.status === 0 && found.stdout.trim().split("\n").filter(Boolean).length >= 1;
    });
    await killTree(child);
    // The file backend writes no `.attrs` sidecars (localWorkspaceEnv: metadata=skip): one written
    // in place when the kill lands empties it, and the stack cannot be loaded any more.
    const sidecars = (fs.readdirSync(path.join(stacks.dir, "state"), { recursive: true }) as string[]).filter((f) => f.endsWith(".attrs"));
    assert.deepStrictEqual(sidecars, []);
    // The killed process left its lock and pending creates behind: release the lock, drop the
    // pending operations (server-side apply upserts the objects that did get created).
    stacks.pulumi(["cancel", "--yes", "--stack", stack]);
    stacks.pulumi(["refresh", "--stack", stack, "--yes", "--skip-preview", "--clear-pending-creates"]);
    stacks.up(stack);
    const again = stacks.preview(stack, ["--expect-no-changes"]);
    assert.ok(again.ok, again.output);
    stacks.pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"]);
  });
});
