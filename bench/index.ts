/** `npm run bench`: every benchmark section, each printing ratios measured in this run. */
import { benchEngine } from "./engine";
import { benchPolicy } from "./policy";
import { benchProgram } from "./program";

async function main() {
  for (const line of await benchProgram()) console.log(line);
  for (const line of await benchPolicy()) console.log(line);
  // Last: it needs the toolchain, which it builds on a machine that has none (with progress lines).
  for (const line of benchEngine()) console.log(line);
  process.exit(0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
