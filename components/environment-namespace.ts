import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { baseLabels, LABEL, NamespaceKind } from "../policy/conventions";

/** Arguments of {@link EnvironmentNamespace}. */
export interface EnvironmentNamespaceArgs {
  /** Namespace name, which is the environment name (`staging`, `feature-pr-142`). */
  environment: string;
  /** Environment kind, written to the `team-environments.dev/kind` label NetworkPolicies select on. */
  kind: NamespaceKind;
  appName: string;
  /** Pod Security Admission level enforced in the namespace. Default: `restricted`. */
  podSecurity?: "restricted" | "baseline";
  /** Protect the namespace from deletion by Pulumi. Default: false. */
  protect?: boolean;
}

/** A namespace for one environment, labelled for selection and Pod Security Admission. */
export class EnvironmentNamespace extends pulumi.ComponentResource {
  /** The namespace object. */
  readonly namespace: k8s.core.v1.Namespace;
  /** Its name, known once the namespace exists: depend on it to order objects inside. */
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: EnvironmentNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:EnvironmentNamespace", name, {}, opts);
    const level = args.podSecurity ?? "restricted";
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.environment,
          labels: {
            ...baseLabels(args.appName, args.environment),
            [LABEL.environment]: args.environment,
            [LABEL.kind]: args.kind,
            [LABEL.podSecurityEnforce]: level,
            [LABEL.podSecurityEnforceVersion]: "latest",
            [LABEL.podSecurityAudit]: "restricted",
            [LABEL.podSecurityWarn]: "restricted",
          },
        },
      },
      { parent: this, protect: args.protect ?? false },
    );
    this.name = this.namespace.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
