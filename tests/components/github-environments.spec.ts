import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { isWireSecret } from "../support/mocks";
import { ofType, ProgramRun, resolvedExports, runProgram } from "../support/program";

const GITHUB = {
  enabled: true,
  owner: "acme",
  repository: "shop",
  qaReviewers: { teams: ["qa"] },
  releaseApprovers: { teams: ["release-managers"], users: ["cto"] },
};

describe("GitHub environments", function () {
  this.timeout(60000);
  let run: ProgramRun;
  before(async () => {
    run = await runProgram("cluster", { github: GITHUB });
  });
  const env = (name: string) => ofType(run, "github:index/repositoryEnvironment:RepositoryEnvironment").find((e) => e.inputs.environment === name)!;

  it("creates preview, qa, staging, production and drift-<stack> with the right reviewers", () => {
    assert.deepStrictEqual(ofType(run, "github:index/repositoryEnvironment:RepositoryEnvironment").map((e) => e.inputs.environment).sort(), [
      "drift-cluster", "drift-production", "drift-qa", "drift-staging", "preview", "production", "qa", "staging",
    ]);
    for (const stack of ["cluster", "qa", "staging", "production"]) {
      assert.deepStrictEqual(env(`drift-${stack}`).inputs.reviewers, [], "the nightly drift check waits for nobody");
    }
    assert.deepStrictEqual(env("preview").inputs.reviewers, [], "previews deploy on every PR push without a reviewer");
    assert.deepStrictEqual(env("staging").inputs.reviewers, [{ teams: [4242], users: [] }], "QA approves staging");
    assert.deepStrictEqual(env("production").inputs.reviewers, [{ teams: [4242], users: [1717] }], "release approvers approve production");
    assert.deepStrictEqual(env("qa").inputs.reviewers, [], "qa deploys on merge without a reviewer");
    assert.strictEqual(env("production").inputs.preventSelfReview, true);
    assert.strictEqual(env("staging").inputs.preventSelfReview, true);
    assert.strictEqual(env("production").inputs.canAdminsBypass, false);
  });

  it("lets every environment deploy from main only: no release tags, no other branch", () => {
    for (const name of ["preview", "qa", "staging", "production", "drift-cluster", "drift-production"]) {
      assert.deepStrictEqual(env(name).inputs.deploymentBranchPolicy, { protectedBranches: false, customBranchPolicies: true }, name);
    }
    const policies = ofType(run, "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy");
    assert.deepStrictEqual(
      policies.map((p) => `${p.inputs.environment} ${p.inputs.branchPattern ?? `tag ${p.inputs.tagPattern}`}`).sort(),
      ["drift-cluster main", "drift-production main", "drift-qa main", "drift-staging main", "preview main", "production main", "qa main", "staging main"],
    );
    assert.ok(policies.every((p) => p.inputs.tagPattern === undefined), "no tag may deploy");
  });

  it("fails when the retired releaseTagPattern is still configured", async () => {
    await assert.rejects(runProgram("cluster", { github: { ...GITHUB, releaseTagPattern: "v*" } }), /github\.releaseTagPattern = "v\*": unknown field/);
  });

  it("stores each environment's CI kubeconfig as a secret, end to end", () => {
    const secrets = ofType(run, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret");
    assert.deepStrictEqual(secrets.map((s) => s.inputs.environment).sort(), ["drift-cluster", "drift-production", "drift-qa", "drift-staging", "preview", "production", "qa", "staging"]);
    for (const s of secrets) {
      assert.strictEqual(s.inputs.secretName, "KUBECONFIG");
      assert.ok(isWireSecret(s.wireInputs.plaintextValue), `${s.inputs.environment} kubeconfig travels as a secret`);
      if (s.inputs.environment.startsWith("drift-")) {
        // The read-only drift identity, never a deployer's token.
        assert.match(s.inputs.plaintextValue, /"name": "team-ci-drift-reader"[\s\S]*"token": "token-of-cluster-access-drift-reader-token"/);
      } else if (s.inputs.environment !== "preview") {
        assert.match(s.inputs.plaintextValue, /"namespace": "(qa|staging|production)"/);
      }
    }
  });

  it("sets the namespace and host as environment variables", () => {
    const vars = ofType(run, "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable").map(
      (v) => `${v.inputs.environment} ${v.inputs.variableName}=${v.inputs.value}`,
    );
    assert.deepStrictEqual(vars.sort(), [
      "production HOST=yourteam.dev",
      "production NAMESPACE=production",
      "qa HOST=qa.yourteam.dev",
      "qa NAMESPACE=qa",
      "staging HOST=staging.yourteam.dev",
      "staging NAMESPACE=staging",
    ]);
  });

  it("says in the outputs where the credentials went", async () => {
    const out = await resolvedExports(run);
    assert.strictEqual(out.ciCredentials.production, "github:acme/shop/environments/production/secrets/KUBECONFIG");
    assert.strictEqual(out.ciCredentials.previews, "github:acme/shop/environments/preview/secrets/KUBECONFIG");
    assert.match(out.ciCredentials.drift, /^GitHub environments drift-cluster, drift-qa, drift-staging, drift-production \(secret KUBECONFIG/);
    assert.match(out.github, /^enabled: acme\/shop/);
    assert.ok(await pulumi.isSecret((run.exports.kubeconfigs as Record<string, pulumi.Output<string>>).production));
  });

  it("creates no GitHub resource when the integration is off", async () => {
    const off = await runProgram("cluster");
    assert.strictEqual(off.resources.filter((r) => r.type.startsWith("github:")).length, 0);
  });
});
