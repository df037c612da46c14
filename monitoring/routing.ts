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

/** The Alertmanager configuration (a plain object: its JSON is the `alertmanager.yaml`). */
export function alertmanagerConfig(a: AlertRoutingFor): Record<string, unknown> {
  const paging = a.environments.filter((e) => e.severity === "critical").map((e) => e.environment);
  const all = a.environments.map((e) => e.environment);
  const routes: Record<string, unknown>[] = [];
  if (paging.length > 0) {
    routes.push({ receiver: criticalReceiver(a.receivers), matchers: [environmentMatcher(paging), 'severity="critical"'] });
  }
  if (all.length > 0) routes.push({ receiver: RECEIVERS.chat, matchers: [environmentMatcher(all)] });
  return {
    route: {
      receiver: RECEIVERS.silent,
      group_by: ["alertname", "environment", "service"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes,
    },
    receivers: [receiver(RECEIVERS.silent, undefined), receiver(RECEIVERS.paging, a.receivers.paging), receiver(RECEIVERS.chat, a.receivers.chat)],
  };
}

/** One line per route, for the stack outputs (no secret in it). */
export function routingSummary(a: AlertRoutingFor): string[] {
  const target = (t: ReceiverTarget | undefined) => (t ? t.type : "not configured: alerts are dropped");
  const paging = a.environments.filter((e) => e.severity === "critical").map((e) => e.environment);
  const all = a.environments.map((e) => e.environment);
  return [
    ...(paging.length > 0
      ? [
          criticalReceiver(a.receivers) === RECEIVERS.chat
            ? `${paging.join(", ")} critical → ${RECEIVERS.chat} (${target(a.receivers.chat)}; paging not configured)`
            : `${paging.join(", ")} critical → ${RECEIVERS.paging} (${target(a.receivers.paging)})`,
        ]
      : []),
    ...(all.length > 0 ? [`${all.join(", ")} other alerts → ${RECEIVERS.chat} (${target(a.receivers.chat)})`] : []),
    `everything else → ${RECEIVERS.silent}`,
  ];
}
