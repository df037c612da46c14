import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIdentity, ServiceAccountIdentityArgs } from "../../components/service-account-identity";
import { construct, created } from "../support/component";
import { promiseOf } from "../support/mocks";

const RULES = [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "patch"] }];
const ARGS: ServiceAccountIdentityArgs = {
  namespace: "qa",
  namespaceName: "qa",
  environment: "qa",
  appName: "myapp",
  serviceAccount: "ci-deployer",
  rules: RULES,
  server: "https://k8s.example.test:6443",
};
const identity = (args: Partial<ServiceAccountIdentityArgs> = {}) => () => new ServiceAccountIdentity("qa-deployer", { ...ARGS, ...args });

describe("ServiceAccountIdentity", () => {
  it("creates a ServiceAccount bound to a Role of the given rules in its namespace", async () => {
    const { resources, urn } = await construct(identity());
    const sa = created(resources, "kubernetes:core/v1:ServiceAccount", "qa-deployer-sa");
    const role = created(resources, "kubernetes:rbac.authorization.k8s.io/v1:Role", "qa-deployer-role");
    const binding = created(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "qa-deployer-binding");
    for (const r of [sa, role, binding]) assert.strictEqual(r.parent, urn, r.name);
    assert.strictEqual(sa.inputs.metadata.name, "ci-deployer");
    assert.strictEqual(sa.inputs.metadata.namespace, "qa");
    assert.strictEqual(sa.inputs.automountServiceAccountToken, false);
    assert.deepStrictEqual(role.inputs.rules, RULES);
    assert.deepStrictEqual(binding.inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "ci-deployer" });
    assert.deepStrictEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: "ci-deployer", namespace: "qa" }]);
  });

  it("creates no Role when the identity is bound elsewhere", async () => {
    const { resources } = await construct(identity({ rules: undefined }));
    assert.deepStrictEqual(resources.filter((r) => r.type.startsWith("kubernetes:rbac")), []);
  });

  it("asks the token controller for a long-lived token of the ServiceAccount", async () => {
    const { resources, urn } = await construct(identity());
    const token = created(resources, "kubernetes:core/v1:Secret", "qa-deployer-token");
    assert.strictEqual(token.parent, urn);
    assert.strictEqual(token.inputs.type, "kubernetes.io/service-account-token");
    assert.strictEqual(token.inputs.metadata.name, "ci-deployer-token");
    assert.deepStrictEqual(token.inputs.metadata.annotations, { "kubernetes.io/service-account.name": "ci-deployer" });
  });

  it("builds a secret kubeconfig from the token for the namespace, and registers it", async () => {
    const { component, outputs } = await construct(identity());
    assert.ok(await pulumi.isSecret(component.kubeconfig));
    const kubeconfig = JSON.parse(await promiseOf(component.kubeconfig));
    assert.strictEqual(kubeconfig["current-context"], "qa-ci-deployer");
    assert.deepStrictEqual(kubeconfig.clusters[0].cluster, { server: "https://k8s.example.test:6443", "certificate-authority-data": Buffer.from("fake-ca").toString("base64") });
    assert.deepStrictEqual(kubeconfig.users[0].user, { token: "token-of-qa-deployer-token" });
    assert.strictEqual(kubeconfig.contexts[0].context.namespace, "qa");
    assert.deepStrictEqual(JSON.parse(outputs.kubeconfig), kubeconfig);
  });
});
