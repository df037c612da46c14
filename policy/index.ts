/**
 * The policy pack. The only module that constructs `PolicyPack` (its constructor starts the
 * analyzer's gRPC server and prints the port for the engine).
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
  description: "Guardrails of team-environments: staging/production parity, locked-namespace RBAC, network isolation, workload hygiene.",
  policies,
});
