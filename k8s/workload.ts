/**
 * Pieces every pod the program runs shares: the restricted security context (non-root, no
 * privilege escalation, all capabilities dropped, RuntimeDefault seccomp) and resource blocks.
 */
import * as k8s from "@pulumi/kubernetes";
import { createHash } from "crypto";
import { ResourceRequirements } from "../base/catalogue";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;

/** Pod-level security context: non-root with a fixed uid/gid. */
export function podSecurityContext(uid = 10001): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container-level security context that satisfies Pod Security `restricted`. */
export function containerSecurityContext(readOnlyRootFilesystem: boolean): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
  };
}

/** Requests and limits as the Kubernetes API spells them. */
export function resourceBlock(r: ResourceRequirements): k8s.types.input.core.v1.ResourceRequirements {
  return {
    requests: { cpu: r.requests.cpu, memory: r.requests.memory },
    limits: { cpu: r.limits.cpu, memory: r.limits.memory },
  };
}

/** A short, stable, DNS-safe digest of a value (names of per-version Jobs, config checksums). */
export function shortHash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 10);
}
