import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ciOidcUser } from "../rbac/rules";
import { ClusterSettings } from "../config/settings";
import { baseLabels, MONITORING_NAMESPACE, PLATFORM_PODS, platformPeer } from "../policy/conventions";
import { AlertRouting } from "./alert-routing";
import { ClusterAccess } from "./cluster-access";
import { EnvironmentsDashboard } from "./environments-dashboard";
import { DriftEnvironment, GitHubEnvironments, GitHubEnvironmentSpec } from "./github-environments";
import { Guardrails } from "./guardrails";
import { EnvironmentNamespace } from "./environment-namespace";

/** Arguments of {@link ClusterPlatform}. */
export interface ClusterPlatformArgs {
  settings: ClusterSettings;
}

/**
 * What platform admins own: cluster-scoped access, the monitoring namespace, the guardrails of
 * qa, staging and production (which their app stacks' deployers cannot change), and the GitHub
 * environments that hold each deployer's kubeconfig.
 */
export class ClusterPlatform extends pulumi.ComponentResource {
  readonly access: ClusterAccess;
  readonly monitoring: EnvironmentNamespace;
  readonly alertRouting: AlertRouting;
  readonly dashboard: EnvironmentsDashboard;
  readonly environments: Record<string, Guardrails> = {};
  readonly github?: GitHubEnvironments;
  /** Where each environment's CI kubeconfig went. */
  readonly ciCredentials: Record<string, string> = {};
  /** Kubeconfigs of the CI identities (secret Outputs), by environment (`previews` for the preview deployer). */
  readonly kubeconfigs: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: ClusterPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:ClusterPlatform", name, {}, opts);
    const s = args.settings;
    this.access = new ClusterAccess(`${name}-access`, { appName: s.appName, access: s.access, server: s.apiServerUrl, domain: s.domain }, { parent: this });
    this.kubeconfigs.previews = this.access.previewDeployer.kubeconfig;
    this.kubeconfigs.drift = this.access.driftReader.kubeconfig;

    this.monitoring = new EnvironmentNamespace(
      `${name}-monitoring`,
      // Exporters such as node-exporter need host access: baseline, not restricted.
      { environment: MONITORING_NAMESPACE, kind: "monitoring", appName: s.appName },
      { parent: this },
    );
    this.monitoringPolicies(name, baseLabels(s.appName, MONITORING_NAMESPACE));

    this.alertRouting = new AlertRouting(
      `${name}-alert-routing`,
      { namespace: this.monitoring.name, appName: s.appName, ...s.alerting },
      { parent: this },
    );
    this.dashboard = new EnvironmentsDashboard(
      `${name}-environments-dashboard`,
      { namespace: this.monitoring.name, appName: s.appName, ...s.dashboard },
      { parent: this },
    );

    for (const env of s.environments) {
      const guardrails = new Guardrails(env.environment, { appName: s.appName, settings: env, access: s.access, server: s.apiServerUrl, ciOidcRepository: s.ciOidcRepository }, { parent: this });
      this.environments[env.environment] = guardrails;
      const deployer = guardrails.access.deployer;
      if (deployer) this.kubeconfigs[env.environment] = deployer.kubeconfig;
    }

    // drift.yml checks each long-lived stack nightly from its own GitHub environment.
    const driftEnvironments = ["cluster", ...s.environments.map((env) => env.environment)].map((stack) => `drift-${stack}` as DriftEnvironment);
    if (s.github.enabled) this.github = this.connectGitHub(name, s, driftEnvironments);
    this.describeCredentials(s, driftEnvironments);
    this.registerOutputs({ environments: Object.keys(this.environments), ciCredentials: this.ciCredentials, kubeconfigs: this.kubeconfigs });
  }

  /** Default-deny in monitoring, then DNS for every pod and Prometheus's scrapes and API calls. */
  private monitoringPolicies(name: string, labels: Record<string, string>): void {
    new k8s.networking.v1.NetworkPolicy(
      `${name}-monitoring-default-deny`,
      { metadata: { name: "default-deny", namespace: this.monitoring.name, labels }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
      { parent: this },
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-monitoring-prometheus-egress`,
      {
        metadata: { name: "allow-prometheus-egress", namespace: this.monitoring.name, labels },
        spec: {
          podSelector: { matchLabels: { ...PLATFORM_PODS.prometheus.labels } },
          policyTypes: ["Egress"],
          // Prometheus scrapes every namespace and asks the API server for targets.
          egress: [{ to: [{ namespaceSelector: {} }] }, { ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 6443 }] }],
        },
      },
      { parent: this },
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-monitoring-dns`,
      {
        metadata: { name: "allow-dns", namespace: this.monitoring.name, labels },
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [
            {
              to: [platformPeer(PLATFORM_PODS.dns)],
              ports: [{ protocol: "UDP", port: PLATFORM_PODS.dns.port }, { protocol: "TCP", port: PLATFORM_PODS.dns.port }],
            },
          ],
        },
      },
      { parent: this },
    );
  }

  /** The GitHub environments holding each CI identity's kubeconfig (preview, qa, staging, production, drift-*). */
  private connectGitHub(name: string, s: ClusterSettings, driftEnvironments: DriftEnvironment[]): GitHubEnvironments {
    const provider = new github.Provider(`${name}-github`, { owner: s.github.owner }, { parent: this });
    return new GitHubEnvironments(
      `${name}-github`,
      {
        settings: s.github,
        environments: [
          // The preview deployer's kubeconfig, for feature-environment.yml's pull_request_target jobs.
          { name: "preview" as const, kubeconfig: this.kubeconfigs.previews },
          ...s.environments.map((env) => ({
            name: env.environment as GitHubEnvironmentSpec["name"],
            namespace: env.environment,
            host: s.hosts[env.environment],
            kubeconfig: this.kubeconfigs[env.environment],
          })),
          // The read-only drift identity in every drift environment.
          ...driftEnvironments.map((drift) => ({ name: drift, kubeconfig: this.kubeconfigs.drift })),
        ],
      },
      { parent: this, providers: [provider] },
    );
  }

  /** Tells the operator where each CI credential went (the `ciCredentials` output). */
  private describeCredentials(s: ClusterSettings, driftEnvironments: DriftEnvironment[]): void {
    if (this.github) {
      const where = this.github.secretLocations;
      for (const env of s.environments) this.ciCredentials[env.environment] = where[env.environment];
      this.ciCredentials.previews = where.preview;
      this.ciCredentials.drift = `GitHub environments ${driftEnvironments.join(", ")} (secret KUBECONFIG: the read-only drift identity)`;
    } else {
      for (const env of s.environments) {
        this.ciCredentials[env.environment] = `stack output kubeconfigs.${env.environment} (GitHub integration off: ${s.github.disabledReason})`;
      }
      this.ciCredentials.previews =
        "stack output kubeconfigs.previews (store it as the secret KUBECONFIG of the GitHub environment preview, never as a repository secret)";
      this.ciCredentials.drift = `stack output kubeconfigs.drift (store it as the secret KUBECONFIG of the GitHub environments ${driftEnvironments.join(", ")})`;
    }
    if (s.ciOidcRepository) {
      // Preferred: no stored credential. The token Secret stays as the fallback for clusters
      // whose API server does not accept GitHub's OIDC tokens.
      for (const env of s.environments) {
        this.ciCredentials[env.environment] =
          `GitHub OIDC user ${ciOidcUser(s.ciOidcRepository, env.environment)} (no secret; fallback: ${this.ciCredentials[env.environment]})`;
      }
    }
  }
}
