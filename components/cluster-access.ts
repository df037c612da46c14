import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEVELOPER_READ_RULES, driftReaderRules, FEATURE_DEVELOPER_RULES, PREVIEW_DEPLOYER_USER, previewDeployerRules, previewDeployerSecretRules, RBAC_API_GROUP, ROLE_NAMES, Rule } from "../rbac/rules";
import { AccessSettings } from "../config/settings";
import { baseLabels, DRIFT_READER, LABEL, PREVIEW_DEPLOYER } from "../policy/conventions";
import { admissionPolicies } from "../policy/analysis/fences";
import { ServiceAccountIdentity } from "./service-account-identity";
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


/**
 * Cluster-scoped access. Developers: one ClusterRole that reads workloads, pods, logs, events
 * and config across namespaces (never Secrets), bound cluster-wide — and nothing else
 * cluster-wide. The feature-developer ClusterRole, bound per preview namespace by the preview.
 * The preview deployer: a ServiceAccount that creates previews (it runs pull-request code), with no
 * cluster-wide Secret read, fenced to `feature-pr-<N>` namespaces by a ValidatingAdmissionPolicy
 * because RBAC cannot match namespace names. The drift reader: a ServiceAccount that reads every
 * kind the long-lived stacks own, never a Secret, for the nightly drift check. The other
 * admission policies keep previews
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
  /** What the drift identity may read, bound to it cluster-wide. */
  readonly driftReaderRole: k8s.rbac.v1.ClusterRole;
  /** The admission policies (policy/analysis/fences.ts), by name; each has a Deny binding of the same name. */
  readonly admission: Record<string, k8s.admissionregistration.v1.ValidatingAdmissionPolicy> = {};

  constructor(name: string, args: ClusterAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:ClusterAccess", name, {}, opts);
    const labels = baseLabels(args.appName, "cluster");
    const developers = subjects(args.access.developerGroups, args.access.developerUsers);

    const clusterRole = (resource: string, roleName: string, rules: Rule[]) =>
      new k8s.rbac.v1.ClusterRole(`${name}-${resource}`, { metadata: { name: roleName, labels }, rules }, { parent: this });
    /** Binds a ClusterRole cluster-wide, under the role's own name. */
    const bindClusterWide = (resource: string, roleName: string, role: k8s.rbac.v1.ClusterRole, subjects: pulumi.Input<k8s.types.input.rbac.v1.Subject>[]) =>
      new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-${resource}`,
        { metadata: { name: roleName, labels }, roleRef: { apiGroup: RBAC_API_GROUP, kind: "ClusterRole", name: role.metadata.name }, subjects },
        { parent: this },
      );
    const ciIdentity = (resource: string, id: { namespace: string; serviceAccount: string }) => this.ciIdentity(`${name}-${resource}`, args, id);
    const serviceAccount = (id: { namespace: string; serviceAccount: string }) => [{ kind: "ServiceAccount", name: id.serviceAccount, namespace: id.namespace }];

    this.developerRead = clusterRole("developer-read", ROLE_NAMES.developerRead, DEVELOPER_READ_RULES);
    this.developerReadBinding = bindClusterWide("developer-read", ROLE_NAMES.developerRead, this.developerRead, developers);
    this.featureDeveloper = clusterRole("feature-developer", ROLE_NAMES.featureDeveloper, FEATURE_DEVELOPER_RULES);

    this.ciNamespace = new k8s.core.v1.Namespace(
      `${name}-ci-namespace`,
      {
        metadata: {
          name: PREVIEW_DEPLOYER.namespace,
          labels: { ...labels, [LABEL.podSecurityEnforce]: "restricted" },
        },
      },
      { parent: this },
    );
    this.previewDeployer = ciIdentity("preview-deployer", PREVIEW_DEPLOYER);
    this.previewDeployerRole = clusterRole("preview-deployer", ROLE_NAMES.previewDeployer, previewDeployerRules());
    this.previewDeployerBinding = bindClusterWide("preview-deployer", ROLE_NAMES.previewDeployer, this.previewDeployerRole, serviceAccount(PREVIEW_DEPLOYER));
    this.previewDeployerSecrets = clusterRole("preview-deployer-secrets", ROLE_NAMES.previewDeployerSecrets, previewDeployerSecretRules());

    this.driftReader = ciIdentity("drift-reader", DRIFT_READER);
    this.driftReaderRole = clusterRole("drift-reader", ROLE_NAMES.driftReader, driftReaderRules());
    bindClusterWide("drift-reader", ROLE_NAMES.driftReader, this.driftReaderRole, serviceAccount(DRIFT_READER));

    this.createAdmission(name, labels, args.domain);
    this.registerOutputs({
      ciNamespace: this.ciNamespace.metadata.name,
      clusterRoles: [this.developerRead, this.featureDeveloper, this.previewDeployerRole, this.previewDeployerSecrets, this.driftReaderRole].map((r) => r.metadata.name),
      admissionPolicies: Object.keys(this.admission),
    });
  }

  /** A CI identity: a ServiceAccount in the CI namespace with its token and kubeconfig. */
  private ciIdentity(resource: string, args: ClusterAccessArgs, id: { namespace: string; serviceAccount: string }): ServiceAccountIdentity {
    return new ServiceAccountIdentity(
      resource,
      {
        namespace: this.ciNamespace.metadata.name,
        namespaceName: id.namespace,
        environment: "cluster",
        appName: args.appName,
        serviceAccount: id.serviceAccount,
        server: args.server,
      },
      { parent: this },
    );
  }

  /** The admission fences (policy/analysis/fences.ts), each with a Deny binding of the same name. */
  private createAdmission(name: string, labels: Record<string, string>, domain: string): void {
    const policies = admissionPolicies({
      previewDeployerUser: PREVIEW_DEPLOYER_USER,
      previewDeployer: PREVIEW_DEPLOYER,
      featureRoles: { developers: ROLE_NAMES.featureDeveloper, deployerSecrets: ROLE_NAMES.previewDeployerSecrets },
      domain,
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
  }
}
