/**
 * One Grafana dashboard for every environment (seed 001): a `namespace` variable over the
 * environments (default `production`), an overview row, then one row per catalogue service with
 * request rate, error rate, latency and restarts. Built from the catalogue, so a new service gets
 * its row without editing JSON; its queries read only the metrics and labels the alerts read
 * (alerts.ts), so what a panel shows is what an alert fires on.
 */
import { METRICS } from "./alerts";

/** The dashboard variable every query is scoped by. */
export const NAMESPACE_VARIABLE = "namespace";
/** The ConfigMap label kube-prometheus-stack's Grafana sidecar loads dashboards from. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** Arguments of {@link environmentsDashboard}. */
export interface DashboardFor {
  appName: string;
  /** Catalogue service names, in catalogue order. */
  services: readonly string[];
  /** Long-lived environments, the first being the default selection. */
  environments: readonly string[];
  /** Regular-expression source of a preview's namespace (previews appear as they come and go). */
  previewPattern: string;
}

interface Target {
  expr: string;
  legendFormat: string;
  refId: string;
}

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
const ns = `namespace="$${NAMESPACE_VARIABLE}"`;

type GraphSpec = { title: string; unit: string; targets: Omit<Target, "refId">[] };

/** Lays panels out top to bottom: a full-width row header, then graphs side by side. */
class Layout {
  readonly panels: Record<string, unknown>[] = [];
  private id = 0;
  private y = 0;

  row(title: string): void {
    this.panels.push({ id: ++this.id, type: "row", title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: this.y }, panels: [] });
    this.y += 1;
  }

  graphs(specs: GraphSpec[]): void {
    const w = 24 / specs.length;
    specs.forEach((s, i) =>
      this.panels.push({
        id: ++this.id,
        type: "timeseries",
        title: s.title,
        datasource: DATASOURCE,
        gridPos: { h: 8, w, x: i * w, y: this.y },
        fieldConfig: { defaults: { unit: s.unit }, overrides: [] },
        targets: s.targets.map((t, j) => ({ ...t, refId: String.fromCharCode(65 + j), datasource: DATASOURCE })),
      }),
    );
    this.y += 8;
  }
}

/** The environment overview: what the DeploymentReplicasUnavailable and MigrationJobFailed alerts read. */
function overviewGraphs(): GraphSpec[] {
  return [
    {
      title: "Unavailable replicas",
      unit: "short",
      targets: [{ expr: `max by (deployment) (${METRICS.unavailable}{${ns}})`, legendFormat: "{{deployment}}" }],
    },
    {
      title: "Failed migrations",
      unit: "short",
      targets: [
        { expr: `max by (job_name) (${METRICS.failedJobs}{${ns}, condition="true", job_name=~".+-migrate-.+"})`, legendFormat: "{{job_name}}" },
      ],
    },
  ];
}

/** One service: request rate, error rate, latency and restarts, as its alerts read them. */
function serviceGraphs(service: string): GraphSpec[] {
  const svc = `${ns}, service="${service}"`;
  return [
    {
      title: `${service}: requests`,
      unit: "reqps",
      targets: [{ expr: `sum by (status) (rate(${METRICS.requests}{${svc}}[5m]))`, legendFormat: "{{status}}" }],
    },
    {
      title: `${service}: error rate`,
      unit: "percentunit",
      targets: [
        {
          expr: `sum(rate(${METRICS.requests}{${svc}, status=~"5.."}[5m])) / sum(rate(${METRICS.requests}{${svc}}[5m]))`,
          legendFormat: "5xx share",
        },
      ],
    },
    {
      title: `${service}: latency`,
      unit: "s",
      targets: [0.5, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(${METRICS.latency}{${svc}}[5m])))`,
        legendFormat: `p${q * 100}`,
      })),
    },
    {
      title: `${service}: restarts (15m)`,
      unit: "short",
      targets: [{ expr: `sum by (pod) (increase(${METRICS.restarts}{${ns}, container="${service}"}[15m]))`, legendFormat: "{{pod}}" }],
    },
  ];
}

/** The data source and the environment picker: long-lived environments and previews, the first selected. */
function templating(d: DashboardFor): Record<string, unknown> {
  const [first] = d.environments;
  return {
    list: [
      { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", hide: 0 },
      {
        name: NAMESPACE_VARIABLE,
        label: "Environment",
        type: "query",
        datasource: DATASOURCE,
        // Namespaces that have the app's pods, filtered to environments: previews appear and go.
        definition: `label_values(${METRICS.restarts}, namespace)`,
        query: { query: `label_values(${METRICS.restarts}, namespace)`, refId: "namespaces" },
        regex: `/^(${[...d.environments, d.previewPattern].join("|")})$/`,
        refresh: 2,
        sort: 1,
        multi: false,
        includeAll: false,
        current: { selected: true, text: first, value: first },
      },
    ],
  };
}

/** The dashboard model (Grafana's JSON). */
export function environmentsDashboard(d: DashboardFor): Record<string, unknown> {
  if (d.environments.length === 0) throw new Error("dashboard: no environments");
  const layout = new Layout();
  layout.row("Environment");
  layout.graphs(overviewGraphs());
  for (const service of d.services) {
    layout.row(service);
    layout.graphs(serviceGraphs(service));
  }
  return {
    uid: `${d.appName}-environments`,
    title: `${d.appName}: environments`,
    description: "One dashboard for every environment: pick one with the namespace variable.",
    tags: [d.appName, "team-environments"],
    editable: false,
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    refresh: "1m",
    templating: templating(d),
    panels: layout.panels,
  };
}
