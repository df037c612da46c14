/**
 * The one source of Kubernetes labels. Every object the program creates carries
 * `baseLabels`; workloads add `workloadLabels`; selectors use only `selectorLabels`
 * because a Deployment's selector can never change after creation.
 */

/** Label key that names the environment (= namespace) an object belongs to. */
export const ENVIRONMENT_LABEL = "team-environments.dev/environment";
/** Label key on namespaces that names the environment kind (feature, qa, staging, production, monitoring). */
export const KIND_LABEL = "team-environments.dev/kind";
/** The label the API server puts on every namespace; NetworkPolicies select namespaces by it. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Labels on every object: who manages it, which application and environment it belongs to. */
export function baseLabels(appName: string, environment: string): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": appName,
    [ENVIRONMENT_LABEL]: environment,
  };
}

/** The stable pair that selects one workload's pods: never add a label here that can change. */
export function selectorLabels(name: string, environment: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": `${name}-${environment}`,
  };
}

/** The `app.kubernetes.io/component` values the program uses. */
export type Component = "web" | "api" | "database" | "migrations" | "data-refresh";

/** Full recommended labels of a workload (objects and pod templates); `version` is the image tag. */
export function workloadLabels(args: {
  appName: string;
  environment: string;
  name: string;
  component: Component;
  version?: string;
}): Record<string, string> {
  return {
    ...baseLabels(args.appName, args.environment),
    ...selectorLabels(args.name, args.environment),
    "app.kubernetes.io/component": args.component,
    ...(args.version === undefined ? {} : { "app.kubernetes.io/version": args.version }),
  };
}
