/**
 * What `pulumi up` waits for.
 *
 * Services. The kubernetes provider waits on a Service until its endpoints have
 * been quiet for 10 s after their last change (pulumi-kubernetes `await/service.go`): on a
 * preview that wait, not the pods, was the critical path of `up` (bench:e2e: four Services at
 * 10.1 s each; Deployments Ready in 0.2 s). The Deployments behind a Service are awaited to
 * Ready already, and the migrations wait for the database's Deployment, so the Service's own wait
 * proves nothing more than that its selector matches; the e2e suite checks that against live
 * EndpointSlices instead.
 */

/** Annotations of a Service whose readiness the Deployment behind it already proves. */
export const NO_ENDPOINT_WAIT: Readonly<Record<string, string>> = { "pulumi.com/skipAwait": "true" };

/**
 * ResourceQuota. Pods and Services are admitted under a quota only once the quota controller has
 * written its status (until then the API server does not check them against it), so the objects
 * a preview's quota governs wait for that (Guardrails.admission). The controller writes it within
 * about 20 ms of the create. The provider's own wait for it (`await/awaiters.go`,
 * untilCoreV1ResourceQuotaInitialized) polls: one GET right after the create, mostly too early,
 * then the next 0.5-0.6 s later — on a preview's critical path (namespace → quota → migrations →
 * rollout). `pulumi.com/waitFor` puts the provider's watch of the object in its place: done when
 * the status is there. One difference: the polling wait also compares status.hard with
 * spec.hard, so an update that changes the limits waits for the controller to take them in; this
 * one returns at once then, and a pod the same update creates in the next milliseconds is admitted
 * under the old limits.
 */
export const QUOTA_STATUS_WAIT: Readonly<Record<string, string>> = { "pulumi.com/waitFor": "jsonpath={.status.hard}" };
