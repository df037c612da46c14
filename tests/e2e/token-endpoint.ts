/**
 * GitHub's runner token endpoint, locally: answers `GET ?audience=…` with a fresh job token for
 * the repository and environment given on the command line (minted by the local issuer's key),
 * to a caller holding the bearer. Prints `listening <port>` once ready. Started and stopped (by
 * pid) by the end-to-end suite.
 *
 *   node -r ts-node/register/transpile-only tests/e2e/token-endpoint.ts <repository> <environment> <bearer>
 */
import { createServer } from "http";
import { jobToken } from "./oidc";

const [repository, environment, bearer] = process.argv.slice(2);
const server = createServer((req, res) => {
  const audience = new URL(req.url ?? "/", "http://x").searchParams.get("audience");
  if (req.headers.authorization !== `Bearer ${bearer}`) return void res.writeHead(403).end();
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ value: jobToken(repository, environment, audience ? { aud: audience } : {}) }));
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
