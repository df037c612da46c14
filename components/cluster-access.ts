import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEVELOPER_READ_RULES, FEATURE_DEVELOPER_RULES, PREVIEW_DEPLOYER, previewDeployerRules, ROLE_NAMES } from "../access";
import { AccessSettings } from "../config";
import { baseLabels, KIND_LABEL } from "../labels";
import { ServiceAccountIdentity } from "./ci-deployer";
import { subjects } from "./environment-access";

/** Arguments of {@link ClusterAccess}. */
export interface ClusterAccessArgs {
  appName: string;
  access: AccessSettings;
  /** API server URL for the preview deployer's kubeconfig. */
  server: string;
}

const RBAC = "rbac.authorization.k8s.io";

/**
 * Cluster-scoped access. Developers: one ClusterRole that reads workloads, pods, logs, events
 * and config across namespaces (never Secrets), bound cluster-wide — and nothing else
 * cluster-wide. The feature-developer ClusterRole, bound per preview namespace by the preview.
 * The preview deployer: a ServiceAccount that creates previews, fenced to namespaces labelled
 * `kind=feature` by a ValidatingAdmissionPolicy because RBAC cannot match namespace names.
 */
export class ClusterAccess extends pulumi.ComponentResource {
  readonly developerRead: k8s.rbac.v1.ClusterRole;
  readonly developerReadBinding: k8s.rbac.v1.ClusterRoleBinding;
  readonly featureDeveloper: k8s.rbac.v1.ClusterRole;
  readonly ciNamespace: k8s.core.v1.Namespace;
  readonly previewDeployer: ServiceAccountIdentity;
  readonly previewDeployerRole: k8s.rbac.v1.ClusterRole;
  readonly previewDeployerBinding: k8s.rbac.v1.ClusterRoleBinding;
  readonly previewFence: k8s.admissionregistration.v1.ValidatingAdmissionPolicy;

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

    const user = `system:serviceaccount:${PREVIEW_DEPLOYER.namespace}:${PREVIEW_DEPLOYER.serviceAccount}`;
    const kindOf = (obj: string) => `has(${obj}.metadata.labels) && '${KIND_LABEL}' in ${obj}.metadata.labels && ${obj}.metadata.labels['${KIND_LABEL}'] == 'feature'`;
    this.previewFence = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-preview-fence`,
      {
        metadata: { name: "team-preview-deployer-fence", labels },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            resourceRules: [{ apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], operations: ["CREATE", "UPDATE", "DELETE"] }],
          },
          matchConditions: [{ name: "preview-deployer-only", expression: `request.userInfo.username == '${user}'` }],
          validations: [
            {
              expression:
                `request.resource.resource == 'namespaces' ? ` +
                `((object != null && ${kindOf("object")}) || (object == null && oldObject != null && ${kindOf("oldObject")})) : ` +
                `(namespaceObject != null && ${kindOf("namespaceObject")})`,
              message: "the preview deployer may only change namespaces labelled team-environments.dev/kind=feature",
            },
          ],
        },
      },
      { parent: this },
    );
    new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-preview-fence`,
      {
        metadata: { name: "team-preview-deployer-fence", labels },
        spec: { policyName: this.previewFence.metadata.name, validationActions: ["Deny"] },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
