/** `npm run bench`: every benchmark section, each printing ratios measured in this run. */
import { benchProgram } from "./program";

async function main() {
  for (const line of await benchProgram()) console.log(line);
  try {
    // The policy section, when the pack's benchmark is present.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const policy = require("./policy") as { benchPolicy?: () => Promise<string[]> };
    if (policy.benchPolicy) for (const line of await policy.benchPolicy()) console.log(line);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw e;
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
