/**
 * What `pulumi up` waits for. The kubernetes provider waits on a Service until its endpoints have
 * been quiet for 10 s after their last change (pulumi-kubernetes `await/service.go`): on a
 * preview that wait, not the pods, was the critical path of `up` (bench:e2e: four Services at
 * 10.1 s each; Deployments Ready in 0.2 s). The Deployments behind a Service are awaited to
 * Ready already, and the migrations wait for the database's Deployment, so the Service's own wait
 * proves nothing more than that its selector matches; the e2e suite checks that against live
 * EndpointSlices instead.
 */

/** Annotations of a Service whose readiness the Deployment behind it already proves. */
export const NO_ENDPOINT_WAIT: Readonly<Record<string, string>> = { "pulumi.com/skipAwait": "true" };
