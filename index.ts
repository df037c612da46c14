/**
 * Composition root: settings → provider → components → exports. The stack name picks the
 * environment: `cluster`, `qa`, `staging`, `production` or `feature-pr-<N>` (see README).
 */
import * as k8s from "@pulumi/kubernetes";
import { ClusterPlatform } from "./components/cluster-platform";
import { Environment } from "./components/environment";
import { loadSettings } from "./config";
import { CI_NAMESPACE, MONITORING_NAMESPACE } from "./policy/conventions";

const settings = loadSettings();

const provider = new k8s.Provider("kubernetes", {
  ...(settings.kubeContext ? { context: settings.kubeContext } : {}),
  enableServerSideApply: true,
});
const opts = { providers: [provider] };

/** The environment this stack deploys. */
const environment = settings.kind === "cluster" ? "cluster" : settings.app.environment;
/** Its kind. */
const kind = settings.kind;

let outputs: Record<string, unknown>;
if (settings.kind === "cluster") {
  const platform = new ClusterPlatform("cluster", { settings: settings.cluster }, opts);
  outputs = {
    namespaces: [MONITORING_NAMESPACE, CI_NAMESPACE, ...settings.cluster.environments.map((e) => e.environment)],
    ciCredentials: platform.ciCredentials,
    kubeconfigs: platform.kubeconfigs,
    alertRoutes: platform.alertRouting.routes,
    github: settings.cluster.github.enabled
      ? `enabled: ${settings.cluster.github.owner}/${settings.cluster.github.repository} (environments ${settings.cluster.environments.map((e) => e.environment).join(", ")})`
      : `disabled: ${settings.cluster.github.disabledReason}`,
  };
} else {
  const app = settings.app;
  const env = new Environment(app.environment, { settings: app }, opts);
  outputs = {
    namespace: env.namespace,
    imageTag: app.imageTag,
    imageTags: Object.fromEntries(app.services.map((s) => [s.name, s.image.tag])),
    urls: env.app.urls,
    borrowedFromQa: app.borrowed,
    ...(env.app.basicAuthPassword ? { basicAuth: { user: app.ingress.basicAuthUser, password: env.app.basicAuthPassword } } : {}),
  };
}

// Stack outputs: only the keys this kind of stack has (see README: "Stack outputs").
export = { environment, kind, ...outputs };
