import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_CATALOGUE } from "../base/catalogue";
import { GuardrailSettings } from "../config/settings";
import { baseLabels, LABEL, PLATFORM_PODS, platformPeer } from "../policy/conventions";

/** Arguments of {@link NetworkIsolation}. */
export interface NetworkIsolationArgs {
  namespace: pulumi.Input<string>;
  appName: string;
  guardrails: GuardrailSettings;
}

type Rule = k8s.types.input.networking.v1.NetworkPolicySpec;
const tcp = (port: number) => ({ protocol: "TCP", port });

/**
 * Default-deny ingress and egress for every pod of the namespace, then explicit allows:
 * DNS, traffic inside the app (database included), the ingress controller to exposed services,
 * Prometheus scraping from `monitoring`; previews may call qa's services, qa accepts them.
 * Nothing admits traffic from another environment to a database: a database is reachable only
 * from its own namespace.
 */
export class NetworkIsolation extends pulumi.ComponentResource {
  /** The policies by role (`default-deny`, `allow-dns`, …). */
  readonly policies: Record<string, k8s.networking.v1.NetworkPolicy> = {};

  constructor(name: string, args: NetworkIsolationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:NetworkIsolation", name, {}, opts);
    const g = args.guardrails;
    const rules = { ...baseRules(args.appName, g), ...kindRules(args.appName, g) };
    for (const [role, spec] of Object.entries(rules)) {
      this.policies[role] = new k8s.networking.v1.NetworkPolicy(
        `${name}-${role}`,
        { metadata: { name: role, namespace: args.namespace, labels: baseLabels(args.appName, g.environment) }, spec },
        { parent: this },
      );
    }
    this.registerOutputs({ policies: Object.keys(this.policies) });
  }
}

/** Pods of the app, and those of them that serve (web and api, not the database or jobs). */
function selectors(appName: string) {
  const app = { matchLabels: { [LABEL.partOf]: appName } };
  const servingPods = {
    matchLabels: { [LABEL.partOf]: appName },
    matchExpressions: [{ key: LABEL.component, operator: "In", values: ["web", "api"] }],
  };
  return { app, servingPods };
}

/** What every environment has: default-deny, DNS, the app inside itself, the ingress controller, Prometheus. */
function baseRules(appName: string, g: GuardrailSettings): Record<string, Rule> {
  const { app, servingPods } = selectors(appName);
  const exposed = SERVICE_CATALOGUE.filter((s) => s.hostPrefix !== undefined).map((s) => s.name);
  const appPorts = g.appPorts.map(tcp);
  return {
    "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    "allow-dns": {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [platformPeer(PLATFORM_PODS.dns)],
          ports: [
            { protocol: "UDP", port: PLATFORM_PODS.dns.port },
            { protocol: "TCP", port: PLATFORM_PODS.dns.port },
          ],
        },
      ],
    },
    "allow-app-internal": {
      podSelector: app,
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: app }], ports: [...appPorts, tcp(g.databasePort)] }],
      egress: [{ to: [{ podSelector: app }], ports: [...appPorts, tcp(g.databasePort)] }],
    },
    "allow-ingress-controller": {
      podSelector: {
        matchLabels: app.matchLabels,
        matchExpressions: [{ key: LABEL.name, operator: "In", values: exposed }],
      },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [platformPeer(PLATFORM_PODS.ingress)],
          ports: g.ingressPorts.map(tcp),
        },
      ],
    },
    "allow-prometheus-scrape": {
      podSelector: servingPods,
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [platformPeer(PLATFORM_PODS.prometheus)],
          ports: appPorts,
        },
      ],
    },
  };
}

/** What the kind's guardrail profile adds: calling qa (previews), admitting previews (qa), the data refresh's egress (staging). */
function kindRules(appName: string, g: GuardrailSettings): Record<string, Rule> {
  const { app, servingPods } = selectors(appName);
  const appPorts = g.appPorts.map(tcp);
  const rules: Record<string, Rule> = {};
  if (g.borrowsFromQa) {
    rules["allow-egress-to-qa"] = {
      podSelector: app,
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { [LABEL.namespaceName]: "qa" } }, podSelector: servingPods }],
          ports: appPorts,
        },
      ],
    };
  }
  if (g.admitsPreviews) {
    rules["allow-ingress-from-previews"] = {
      podSelector: servingPods,
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { [LABEL.kind]: "feature" } } }], ports: appPorts }],
    };
  }
  if (g.dataRefreshEgress) {
    rules["allow-data-refresh-egress"] = {
      podSelector: { matchLabels: { ...app.matchLabels, [LABEL.component]: "data-refresh" } },
      policyTypes: ["Egress"],
      egress: [
        {
          // The refresh reads an anonymisable production backup from object storage, never the
          // production database itself: only public addresses on 443.
          to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }],
          ports: [tcp(443)],
        },
      ],
    };
  }
  return rules;
}
