/**
 * The application's alerts, as Prometheus rule groups (the `spec` of a PrometheusRule and the
 * body of a rule file, so `promtool` checks exactly what the program ships). Every expression is
 * scoped to one environment's namespace: one environment's trouble never fires another's alert.
 * The dashboard (dashboard.ts) reads only the metrics and labels named here.
 */

/** How one environment kind alerts (see `KindProfile.alerts` in base/profiles.ts). */
export interface AlertPolicy {
  /** `critical` pages (production); `warning` goes to chat (staging). See routing.ts. */
  severity: "critical" | "warning";
  /** HighErrorRate: share of one service's requests answered 5xx over 5 minutes, above which it fires after `for`. */
  errorRate: { threshold: number; for: string };
}

/** Alert names, identical in every environment that has alerts (staging/production parity). */
export const ALERT_NAMES = ["HighErrorRate", "HighLatency", "PodCrashLooping", "DeploymentReplicasUnavailable", "MigrationJobFailed"] as const;
/** One of `ALERT_NAMES`. */
export type AlertName = (typeof ALERT_NAMES)[number];

/**
 * The series the alerts read: the app's HTTP metrics (each service exports them on `/metrics`;
 * the Prometheus operator's ServiceMonitor adds `namespace` and `service`) and kube-state-metrics.
 */
export const METRICS = {
  requests: "http_requests_total",
  latency: "http_request_duration_seconds_bucket",
  restarts: "kube_pod_container_status_restarts_total",
  unavailable: "kube_deployment_status_replicas_unavailable",
  // The Job's Failed condition (kube-state-metrics), not `kube_job_status_failed`, which counts
  // failed pods: a migration that failed once and then succeeded on retry is not a failure.
  failedJobs: "kube_job_failed",
} as const;

/** p99 latency above which HighLatency fires, in seconds (the same in every environment). */
export const LATENCY_P99_SECONDS = 1;
/** Restarts within 15 minutes above which PodCrashLooping fires. */
export const CRASH_LOOP_RESTARTS = 3;

/** One alerting rule, as Prometheus reads it. */
export interface AlertingRule {
  alert: AlertName;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One rule group. */
export interface RuleGroup {
  name: string;
  rules: AlertingRule[];
}

/** Arguments of {@link alertRuleGroups}. */
export interface AlertRulesFor {
  appName: string;
  /** The environment, which is also its namespace. */
  environment: string;
  policy: AlertPolicy;
  /** The Deployments the environment runs (catalogue names). */
  services: readonly string[];
}

/** `0.05` → `5%`. */
export function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** A PromQL regular expression that matches exactly these names (DNS labels: nothing to escape). */
function anyOf(names: readonly string[]): string {
  const bad = names.find((n) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n));
  if (bad !== undefined) throw new Error(`alerts: service name ${JSON.stringify(bad)} is not a DNS label`);
  return names.join("|");
}

/** The error-rate threshold, once the services and the threshold are known to make sense. */
function checkedThreshold(a: AlertRulesFor): number {
  if (a.services.length === 0) throw new Error(`alerts of ${a.environment}: no services to watch`);
  const { threshold } = a.policy.errorRate;
  if (!(threshold > 0 && threshold < 1)) throw new Error(`alerts of ${a.environment}: error-rate threshold ${threshold} is not a share between 0 and 1`);
  return threshold;
}

/** The environment's alert rules: one group, every rule labelled with its severity and environment. */
export function alertRuleGroups(a: AlertRulesFor): RuleGroup[] {
  const threshold = checkedThreshold(a);
  const ns = `namespace="${a.environment}"`;
  const env = a.environment;
  const rule = (alert: AlertName, expr: string, forDuration: string, summary: string, description: string): AlertingRule => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity: a.policy.severity, environment: env },
    annotations: { summary, description },
  });
  return [
    {
      name: `${a.appName}.${env}`,
      rules: [
        rule(
          "HighErrorRate",
          `sum by (service) (rate(${METRICS.requests}{${ns}, status=~"5.."}[5m])) / sum by (service) (rate(${METRICS.requests}{${ns}}[5m])) > ${threshold}`,
          a.policy.errorRate.for,
          `{{ $labels.service }} in ${env}: more than ${percent(threshold)} of requests fail`,
          `More than ${percent(threshold)} of the requests to {{ $labels.service }} in ${env} were answered 5xx over 5 minutes, for ${a.policy.errorRate.for}.`,
        ),
        rule(
          "HighLatency",
          `histogram_quantile(0.99, sum by (service, le) (rate(${METRICS.latency}{${ns}}[5m]))) > ${LATENCY_P99_SECONDS}`,
          "10m",
          `{{ $labels.service }} in ${env}: p99 latency above ${LATENCY_P99_SECONDS}s`,
          `The 99th percentile of {{ $labels.service }}'s response time in ${env} has been above ${LATENCY_P99_SECONDS}s for 10 minutes.`,
        ),
        rule(
          "PodCrashLooping",
          `max by (pod, container) (increase(${METRICS.restarts}{${ns}}[15m])) > ${CRASH_LOOP_RESTARTS}`,
          "5m",
          `{{ $labels.pod }} in ${env} keeps restarting`,
          `Container {{ $labels.container }} of {{ $labels.pod }} in ${env} restarted more than ${CRASH_LOOP_RESTARTS} times in 15 minutes.`,
        ),
        rule(
          "DeploymentReplicasUnavailable",
          `max by (deployment) (${METRICS.unavailable}{${ns}, deployment=~"${anyOf(a.services)}"}) > 0`,
          "10m",
          `{{ $labels.deployment }} in ${env} has unavailable replicas`,
          `Deployment {{ $labels.deployment }} in ${env} has had unavailable replicas for 10 minutes.`,
        ),
        rule(
          "MigrationJobFailed",
          `max by (job_name) (${METRICS.failedJobs}{${ns}, condition="true", job_name=~".+-migrate-.+"}) > 0`,
          "1m",
          `Database migration {{ $labels.job_name }} in ${env} failed`,
          `The migrations Job {{ $labels.job_name }} in ${env} failed: the rollout that needed it did not happen.`,
        ),
      ],
    },
  ];
}
