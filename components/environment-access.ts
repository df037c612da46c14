import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ciOidcUser, deployerRules, QA_ADMIN_RULES, RBAC_API_GROUP, ROLE_NAMES } from "../rbac/rules";
import { AccessSettings } from "../config/settings";
import { baseLabels, DEPLOYER_SERVICE_ACCOUNT, PREVIEW_DEPLOYER } from "../policy/conventions";
import { ServiceAccountIdentity } from "./service-account-identity";

/** Arguments of {@link EnvironmentAccess}. */
export interface EnvironmentAccessArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  /** Developers edit and the preview deployer deploys (a preview), instead of a CI deployer of its own. */
  previewAccess: boolean;
  /** QA engineers administer the namespace. */
  qaAdmin: boolean;
  appName: string;
  access: AccessSettings;
  /** API server URL for the CI deployer's kubeconfig; required unless `previewAccess` (previews have no deployer). */
  server?: string;
  /** Bind the deployer Role to this repository's GitHub OIDC user too (long-lived environments). */
  ciOidcRepository?: string;
}

type Subject = k8s.types.input.rbac.v1.Subject;

/** RBAC subjects for lists of groups and users. */
export function subjects(groups: string[], users: string[]): Subject[] {
  return [
    ...groups.map((name) => ({ kind: "Group", name, apiGroup: RBAC_API_GROUP })),
    ...users.map((name) => ({ kind: "User", name, apiGroup: RBAC_API_GROUP })),
  ];
}

/**
 * Namespaced access of one environment. Feature: developers get the feature-developer
 * ClusterRole through a RoleBinding in this namespace only, and the preview deployer its Secrets
 * role (it reads no Secret outside its previews). qa: an admin Role for QA, and a CI
 * deployer. staging/production: only the CI deployer; no human subject is bound at all.
 */
export class EnvironmentAccess extends pulumi.ComponentResource {
  readonly developerBinding?: k8s.rbac.v1.RoleBinding;
  /** In a preview: the preview deployer's Secrets, in this namespace only. Create Secrets after it. */
  readonly deployerSecretsBinding?: k8s.rbac.v1.RoleBinding;
  readonly qaRole?: k8s.rbac.v1.Role;
  readonly qaBinding?: k8s.rbac.v1.RoleBinding;
  /** The CI deployer of a long-lived environment. */
  readonly deployer?: ServiceAccountIdentity;
  /** The same Role for the GitHub Actions OIDC user of this environment (no secret at all). */
  readonly oidcBinding?: k8s.rbac.v1.RoleBinding;

  constructor(name: string, args: EnvironmentAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:EnvironmentAccess", name, {}, opts);
    if (args.previewAccess) {
      this.developerBinding = this.bind(`${name}-developers`, args, "developers", { kind: "ClusterRole", name: ROLE_NAMES.featureDeveloper }, subjects(args.access.developerGroups, args.access.developerUsers));
      this.deployerSecretsBinding = this.bind(
        `${name}-preview-deployer-secrets`,
        args,
        "preview-deployer-secrets",
        { kind: "ClusterRole", name: ROLE_NAMES.previewDeployerSecrets },
        [{ kind: "ServiceAccount", name: PREVIEW_DEPLOYER.serviceAccount, namespace: PREVIEW_DEPLOYER.namespace }],
      );
    } else {
      if (args.server === undefined) {
        throw new Error(`${name}: server is required for ${args.environment}'s CI deployer kubeconfig (only previews, previewAccess: true, have no deployer)`);
      }
      this.deployer = new ServiceAccountIdentity(
        `${name}-deployer`,
        {
          namespace: args.namespace,
          namespaceName: args.environment,
          environment: args.environment,
          appName: args.appName,
          serviceAccount: DEPLOYER_SERVICE_ACCOUNT,
          rules: deployerRules(),
          server: args.server,
        },
        { parent: this },
      );
      const role = this.deployer.role;
      if (args.ciOidcRepository && role) {
        this.oidcBinding = this.bind(`${name}-deployer-oidc`, args, `${ROLE_NAMES.deployer}-oidc`, { kind: "Role", name: role.metadata.name }, [
          { kind: "User", name: ciOidcUser(args.ciOidcRepository, args.environment), apiGroup: RBAC_API_GROUP },
        ]);
      }
    }
    if (args.qaAdmin) {
      this.qaRole = new k8s.rbac.v1.Role(
        `${name}-qa-admin`,
        { metadata: { name: ROLE_NAMES.qaAdmin, namespace: args.namespace, labels: baseLabels(args.appName, args.environment) }, rules: QA_ADMIN_RULES },
        { parent: this },
      );
      this.qaBinding = this.bind(`${name}-qa-admin`, args, ROLE_NAMES.qaAdmin, { kind: "Role", name: this.qaRole.metadata.name }, subjects(args.access.qaGroups, args.access.qaUsers));
    }
    this.registerOutputs({
      deployerServiceAccount: this.deployer?.serviceAccount.metadata.name,
      developerBinding: this.developerBinding?.metadata.name,
      deployerSecretsBinding: this.deployerSecretsBinding?.metadata.name,
      oidcBinding: this.oidcBinding?.metadata.name,
      qaRole: this.qaRole?.metadata.name,
    });
  }

  /** A RoleBinding in the environment's namespace. */
  private bind(
    resource: string,
    args: EnvironmentAccessArgs,
    bindingName: string,
    roleRef: { kind: "Role" | "ClusterRole"; name: pulumi.Input<string> },
    to: pulumi.Input<k8s.types.input.rbac.v1.Subject>[],
  ): k8s.rbac.v1.RoleBinding {
    return new k8s.rbac.v1.RoleBinding(
      resource,
      {
        metadata: { name: bindingName, namespace: args.namespace, labels: baseLabels(args.appName, args.environment) },
        roleRef: { apiGroup: RBAC_API_GROUP, ...roleRef },
        subjects: to,
      },
      { parent: this },
    );
  }
}
