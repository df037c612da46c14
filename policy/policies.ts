/**
 * The pack's rules, in one list. Kept apart from index.ts because constructing a `PolicyPack`
 * starts the analyzer's gRPC server: tests, the CLI and the bench import this list instead.
 */
import { PackRule } from "./rules/kit";
import { stagingProductionParity } from "./rules/staging-production-parity";
import { noDeveloperWriteInLockedNamespaces } from "./rules/no-developer-write-in-locked-namespaces";
import { rbacVisibility } from "./rules/rbac-visibility";
import { networkIsolation } from "./rules/network-isolation";
import { workloadProbes } from "./rules/workload-probes";
import { workloadResources } from "./rules/workload-resources";
import { imageTagPinned } from "./rules/image-tag-pinned";
import { runAsNonRoot } from "./rules/run-as-non-root";
import { pdbAllowsDisruption } from "./rules/pdb-allows-disruption";
import { hpaOwnsReplicas } from "./rules/hpa-owns-replicas";
import { featureNamespaceGuardrails } from "./rules/feature-namespace-guardrails";
import { productionNamespaceProtected } from "./rules/production-namespace-protected";
import { dataRefreshAnonymised } from "./rules/data-refresh-anonymised";

/** Name of the pack (PulumiPolicy.yaml, `pulumi preview --policy-pack policy`). */
export const PACK_NAME = "team-environments";

/** Every rule of the pack. */
export const policies: PackRule[] = [
  stagingProductionParity,
  noDeveloperWriteInLockedNamespaces,
  rbacVisibility,
  networkIsolation,
  workloadProbes,
  workloadResources,
  imageTagPinned,
  runAsNonRoot,
  pdbAllowsDisruption,
  hpaOwnsReplicas,
  featureNamespaceGuardrails,
  productionNamespaceProtected,
  dataRefreshAnonymised,
];
