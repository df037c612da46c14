import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  DEVELOPER_READ_RULES,
  DRIFT_READER,
  driftReaderRules,
  FEATURE_DEVELOPER_RULES,
  PREVIEW_DEPLOYER,
  PREVIEW_DEPLOYER_USER,
  previewDeployerRules,
  previewDeployerSecretRules,
  ROLE_NAMES,
} from "../access";
import { AccessSettings } from "../config";
import { baseLabels } from "../labels";
import { admissionPolicies } from "../policy/analysis/fences";
import { ServiceAccountIdentity } from "./ci-deployer";
import { subjects } from "./environment-access";

/** Arguments of {@link ClusterAccess}. */
export interface ClusterAccessArgs {
  appName: string;
  access: AccessSettings;
  /** API server URL for the preview deployer's kubeconfig. */
  server: string;
  /** The team's domain; preview hosts must live under `*.preview.<domain>`. */
  domain: string;
}

/** Annotation that says, on each admission policy, what it guarantees. */
const PURPOSE_ANNOTATION = "team-environments.dev/purpose";

const RBAC = "rbac.authorization.k8s.io";

/**
 * Cluster-scoped access. Developers: one ClusterRole that reads workloads, pods, logs, events
 * and config across namespaces (never Secrets), bound cluster-wide — and nothing else
 * cluster-wide. The feature-developer ClusterRole, bound per preview namespace by the preview.
 * The preview deployer: a ServiceAccount that creates previews (it runs pull-request code), with no
 * cluster-wide Secret read, fenced to `feature-pr-<N>` namespaces by a ValidatingAdmissionPolicy
 * because RBAC cannot match namespace names. The drift reader: a ServiceAccount that reads every
 * kind the long-lived stacks own, never a Secret, for the nightly drift check. The other admission policies keep previews
 * `restricted`, their hosts under `*.preview.<domain>`, their RoleBindings to the feature roles,
 * and `externalIPs` out of every Service.
 */
export class ClusterAccess extends pulumi.ComponentResource {
  readonly developerRead: k8s.rbac.v1.ClusterRole;
  readonly developerReadBinding: k8s.rbac.v1.ClusterRoleBinding;
  readonly featureDeveloper: k8s.rbac.v1.ClusterRole;
  readonly ciNamespace: k8s.core.v1.Namespace;
  readonly previewDeployer: ServiceAccountIdentity;
  readonly previewDeployerRole: k8s.rbac.v1.ClusterRole;
  readonly previewDeployerBinding: k8s.rbac.v1.ClusterRoleBinding;
  readonly previewDeployerSecrets: k8s.rbac.v1.ClusterRole;
  /** The nightly drift check's identity: reads what the long-lived stacks own, no Secret, no write. */
  readonly driftReader: ServiceAccountIdentity;
  /** The admission policies (policy/analysis/fences.ts), by name; each has a Deny binding of the same name. */
  readonly admission: Record<string, k8s.admissionregistration.v1.ValidatingAdmissionPolicy> = {};

  constructor(name: string, args: ClusterAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:ClusterAccess", name, {}, opts);
    const labels = baseLabels(args.appName, "cluster");
    const developers = subjects(args.access.developerGroups, args.access.developerUsers);

    this.developerRead = new k8s.rbac.v1.ClusterRole(
      `${name}-developer-read`,
      { metadata: { name: ROLE_NAMES.developerRead, labels }, rules: DEVELOPER_READ_RULES },
      { parent: this },
    );
    this.developerReadBinding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-developer-read`,
      {
        metadata: { name: ROLE_NAMES.developerRead, labels },
        roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: this.developerRead.metadata.name },
        subjects: developers,
      },
      { parent: this },
    );
    this.featureDeveloper = new k8s.rbac.v1.ClusterRole(
      `${name}-feature-developer`,
      { metadata: { name: ROLE_NAMES.featureDeveloper, labels }, rules: FEATURE_DEVELOPER_RULES },
      { parent: this },
    );

    this.ciNamespace = new k8s.core.v1.Namespace(
      `${name}-ci-namespace`,
      {
        metadata: {
          name: PREVIEW_DEPLOYER.namespace,
          labels: { ...labels, "pod-security.kubernetes.io/enforce": "restricted" },
        },
      },
      { parent: this },
    );
    this.previewDeployer = new ServiceAccountIdentity(
      `${name}-preview-deployer`,
      {
        namespace: this.ciNamespace.metadata.name,
        namespaceName: PREVIEW_DEPLOYER.namespace,
        environment: "cluster",
        appName: args.appName,
        serviceAccount: PREVIEW_DEPLOYER.serviceAccount,
        server: args.server,
      },
      { parent: this },
    );
    this.previewDeployerRole = new k8s.rbac.v1.ClusterRole(
      `${name}-preview-deployer`,
      { metadata: { name: ROLE_NAMES.previewDeployer, labels }, rules: previewDeployerRules() },
      { parent: this },
    );
    this.previewDeployerBinding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-preview-deployer`,
      {
        metadata: { name: ROLE_NAMES.previewDeployer, labels },
        roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: this.previewDeployerRole.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: PREVIEW_DEPLOYER.serviceAccount, namespace: PREVIEW_DEPLOYER.namespace }],
      },
      { parent: this },
    );

    this.previewDeployerSecrets = new k8s.rbac.v1.ClusterRole(
      `${name}-preview-deployer-secrets`,
      { metadata: { name: ROLE_NAMES.previewDeployerSecrets, labels }, rules: previewDeployerSecretRules() },
      { parent: this },
    );

    this.driftReader = new ServiceAccountIdentity(
      `${name}-drift-reader`,
      {
        namespace: this.ciNamespace.metadata.name,
        namespaceName: DRIFT_READER.namespace,
        environment: "cluster",
        appName: args.appName,
        serviceAccount: DRIFT_READER.serviceAccount,
        server: args.server,
      },
      { parent: this },
    );
    const driftRole = new k8s.rbac.v1.ClusterRole(
      `${name}-drift-reader`,
      { metadata: { name: ROLE_NAMES.driftReader, labels }, rules: driftReaderRules() },
      { parent: this },
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-drift-reader`,
      {
        metadata: { name: ROLE_NAMES.driftReader, labels },
        roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: driftRole.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: DRIFT_READER.serviceAccount, namespace: DRIFT_READER.namespace }],
      },
      { parent: this },
    );

    const policies = admissionPolicies({
      previewDeployerUser: PREVIEW_DEPLOYER_USER,
      previewDeployer: PREVIEW_DEPLOYER,
      featureRoles: { developers: ROLE_NAMES.featureDeveloper, deployerSecrets: ROLE_NAMES.previewDeployerSecrets },
      domain: args.domain,
    });
    for (const policy of policies) {
      const vap = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
        `${name}-${policy.name}`,
        { metadata: { name: policy.name, labels, annotations: { [PURPOSE_ANNOTATION]: policy.purpose } }, spec: policy.spec },
        { parent: this },
      );
      new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        `${name}-${policy.name}`,
        // The name as a plain string (not the policy's output), so a preview already shows the fence.
        { metadata: { name: policy.name, labels }, spec: { policyName: policy.name, validationActions: ["Deny"] } },
        { parent: this, dependsOn: [vap] },
      );
      this.admission[policy.name] = vap;
    }
    this.registerOutputs({});
  }
}
