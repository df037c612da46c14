import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GitHubEnvironments, GitHubEnvironmentSpec } from "../../components/github-environments";
import { GitHubSettings } from "../../config/settings";
import { construct } from "../support/component";
import { RecordedResource } from "../support/mocks";

const SETTINGS: GitHubSettings = {
  enabled: true, owner: "acme", repository: "shop", preventSelfReview: true, productionBranch: "main",
  qaReviewers: { teams: ["qa"], users: [] }, releaseApprovers: { teams: ["release-managers"], users: ["cto"] },
};
const kubeconfig = (who: string) => pulumi.secret(`kubeconfig of ${who}`);
const ENVIRONMENTS = (): GitHubEnvironmentSpec[] => [
  { name: "preview", kubeconfig: kubeconfig("preview-deployer") },
  { name: "staging", namespace: "staging", host: "staging.yourteam.dev", kubeconfig: kubeconfig("staging deployer") },
  { name: "production", namespace: "production", host: "yourteam.dev", kubeconfig: kubeconfig("production deployer") },
  { name: "drift-production", kubeconfig: kubeconfig("drift-reader") },
];
const of = (resources: RecordedResource[], type: string, environment: string) =>
  resources.filter((r) => r.type === `github:index/${type}` && r.inputs.environment === environment);

describe("GitHubEnvironments (constructed directly)", () => {
  it("gates staging on QA and production on the release approvers, with self-review prevented and no admin bypass in production", async () => {
    const { resources, urn } = await construct(() => new GitHubEnvironments("gh", { settings: SETTINGS, environments: ENVIRONMENTS() }));
    const env = (name: string) => of(resources, "repositoryEnvironment:RepositoryEnvironment", name)[0];
    assert.ok(resources.filter((r) => r.type.startsWith("github:")).every((r) => r.parent === urn));
    assert.deepStrictEqual(env("staging").inputs.reviewers, [{ teams: [4242], users: [] }]);
    assert.deepStrictEqual(env("production").inputs.reviewers, [{ teams: [4242], users: [1717] }]);
    assert.deepStrictEqual([env("preview").inputs.reviewers, env("drift-production").inputs.reviewers], [[], []], "nobody waits for a reviewer");
    assert.deepStrictEqual(["preview", "staging", "production", "drift-production"].map((e) => [env(e).inputs.preventSelfReview, env(e).inputs.canAdminsBypass]), [
      [false, true], [true, true], [true, false], [false, true],
    ]);
    assert.ok(["preview", "staging", "production"].every((e) => env(e).inputs.repository === "shop"));
  });

  it("lets each environment deploy from the production branch only", async () => {
    const { resources } = await construct(() => new GitHubEnvironments("gh", { settings: { ...SETTINGS, productionBranch: "trunk" }, environments: ENVIRONMENTS() }));
    for (const name of ["preview", "staging", "production", "drift-production"]) {
      assert.deepStrictEqual(of(resources, "repositoryEnvironment:RepositoryEnvironment", name)[0].inputs.deploymentBranchPolicy, { protectedBranches: false, customBranchPolicies: true });
      const policies = of(resources, "repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy", name);
      assert.deepStrictEqual(policies.map((p) => [p.inputs.branchPattern, p.inputs.tagPattern]), [["trunk", undefined]], name);
    }
  });

  it("stores each kubeconfig as the secret KUBECONFIG and the namespace and host as variables, none for previews", async () => {
    const { resources } = await construct(() => new GitHubEnvironments("gh", { settings: SETTINGS, environments: ENVIRONMENTS() }));
    const [secret] = of(resources, "actionsEnvironmentSecret:ActionsEnvironmentSecret", "production");
    assert.deepStrictEqual([secret.inputs.secretName, secret.inputs.plaintextValue], ["KUBECONFIG", "kubeconfig of production deployer"]);
    const vars = (e: string) => of(resources, "actionsEnvironmentVariable:ActionsEnvironmentVariable", e).map((v) => `${v.inputs.variableName}=${v.inputs.value}`).sort();
    assert.deepStrictEqual(vars("staging"), ["HOST=staging.yourteam.dev", "NAMESPACE=staging"]);
    assert.deepStrictEqual([vars("preview"), vars("drift-production")], [[], []]);
  });

  it("registers the environments and where each kubeconfig went", async () => {
    const { outputs, component } = await construct(() => new GitHubEnvironments("gh", { settings: SETTINGS, environments: ENVIRONMENTS() }));
    assert.deepStrictEqual(outputs.environments, ["preview", "staging", "production", "drift-production"]);
    assert.strictEqual(outputs.secretLocations.production, "github:acme/shop/environments/production/secrets/KUBECONFIG");
    assert.deepStrictEqual(component.secretLocations, outputs.secretLocations);
  });
});
