/** Builds a kubeconfig for a ServiceAccount token (JSON, which every kubeconfig reader accepts as YAML). */
export function buildKubeconfig(args: {
  /** Cluster and context name. */
  name: string;
  server: string;
  /** Base64-encoded CA bundle of the API server. */
  caData: string;
  token: string;
  namespace: string;
}): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: args.name, cluster: { server: args.server, "certificate-authority-data": args.caData } }],
      users: [{ name: args.name, user: { token: args.token } }],
      contexts: [{ name: args.name, context: { cluster: args.name, user: args.name, namespace: args.namespace } }],
      "current-context": args.name,
    },
    null,
    2,
  );
}
