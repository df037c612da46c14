/**
 * Where alerts go: the Alertmanager configuration the cluster stack ships (a Secret in
 * `monitoring` that the Alertmanager reads as its `alertmanager.yaml`). Routes follow the kind
 * profiles: an environment whose alerts are `critical` pages; every other alert of an environment
 * that has alerts goes to chat; anything else (qa, previews) is silent. `amtool` checks the file
 * and its routes in the tests.
 */
import type { AlertPolicy } from "./alerts";

/** The receivers every configuration has; unconfigured ones receive nothing. */
export const RECEIVERS = { paging: "paging", chat: "chat", silent: "silent" } as const;
/** One of the receivers. */
export type ReceiverName = (typeof RECEIVERS)[keyof typeof RECEIVERS];

/** One receiver's destination (stack config `alertReceivers.paging` / `.chat`, kept secret). */
export type ReceiverTarget =
  | { type: "pagerduty"; routingKey: string }
  | { type: "slack"; webhookUrl: string; channel?: string }
  | { type: "webhook"; url: string };

/** Destinations of the two receivers that notify someone; undefined ones are configured with no target. */
export interface AlertReceivers {
  paging?: ReceiverTarget;
  chat?: ReceiverTarget;
}

/** An environment that alerts, as the router sees it. */
export interface AlertingEnvironment {
  environment: string;
  severity: AlertPolicy["severity"];
}

/** Arguments of {@link alertmanagerConfig}. */
export interface AlertRoutingFor {
  environments: readonly AlertingEnvironment[];
  receivers: AlertReceivers;
}

function receiver(name: ReceiverName, target: ReceiverTarget | undefined): Record<string, unknown> {
  if (target === undefined) return { name };
  switch (target.type) {
    case "pagerduty":
      return { name, pagerduty_configs: [{ routing_key: target.routingKey, send_resolved: true }] };
    case "slack":
      return {
        name,
        slack_configs: [
          {
            api_url: target.webhookUrl,
            ...(target.channel ? { channel: target.channel } : {}),
            send_resolved: true,
            title: '[{{ .Status | toUpper }}] {{ .CommonLabels.environment }}: {{ .CommonLabels.alertname }}',
            text: "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
          },
        ],
      };
    case "webhook":
      return { name, webhook_configs: [{ url: target.url, send_resolved: true }] };
  }
}

/** A matcher list that selects one or more environments. */
function environmentMatcher(environments: readonly string[]): string {
  return environments.length === 1 ? `environment="${environments[0]}"` : `environment=~"${environments.join("|")}"`;
}

/** Where critical alerts go: paging, or chat while only chat has a target (never dropped then). */
function criticalReceiver(r: AlertReceivers): ReceiverName {
  return r.paging === undefined && r.chat !== undefined ? RECEIVERS.chat : RECEIVERS.paging;
}

/** One route: which environments' alerts (critical ones only, or all) go to which receiver. */
interface Route {
  environments: string[];
  criticalOnly: boolean;
  receiver: ReceiverName;
}

/** The routes, in Alertmanager's order: the first that matches wins; unmatched alerts are silent. */
function routeTable(a: AlertRoutingFor): Route[] {
  const paging = a.environments.filter((e) => e.severity === "critical").map((e) => e.environment);
  const all = a.environments.map((e) => e.environment);
  return [
    ...(paging.length > 0 ? [{ environments: paging, criticalOnly: true, receiver: criticalReceiver(a.receivers) }] : []),
    ...(all.length > 0 ? [{ environments: all, criticalOnly: false, receiver: RECEIVERS.chat }] : []),
  ];
}

/** The Alertmanager configuration (a plain object: its JSON is the `alertmanager.yaml`). */
export function alertmanagerConfig(a: AlertRoutingFor): Record<string, unknown> {
  return {
    route: {
      receiver: RECEIVERS.silent,
      group_by: ["alertname", "environment", "service"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes: routeTable(a).map((r) => ({
        receiver: r.receiver,
        matchers: [environmentMatcher(r.environments), ...(r.criticalOnly ? ['severity="critical"'] : [])],
      })),
    },
    receivers: [receiver(RECEIVERS.silent, undefined), receiver(RECEIVERS.paging, a.receivers.paging), receiver(RECEIVERS.chat, a.receivers.chat)],
  };
}

/** One line per route, for the stack outputs (no secret in it). */
export function routingSummary(a: AlertRoutingFor): string[] {
  const target = (name: ReceiverName) => {
    const t = name === RECEIVERS.paging ? a.receivers.paging : name === RECEIVERS.chat ? a.receivers.chat : undefined;
    return t ? t.type : "not configured: alerts are dropped";
  };
  return [
    ...routeTable(a).map((r) => {
      const which = r.criticalOnly ? "critical" : "other alerts";
      const fallback = r.criticalOnly && r.receiver !== RECEIVERS.paging ? "; paging not configured" : "";
      return `${r.environments.join(", ")} ${which} → ${r.receiver} (${target(r.receiver)}${fallback})`;
    }),
    `everything else → ${RECEIVERS.silent}`,
  ];
}
