import * as assert from "assert";
import * as fs from "fs";
import { CONVENTIONS_DOC, renderConventions } from "../scripts/docs/conventions";

describe("docs/conventions.md", function () {
  this.timeout(60000);

  it("is what npm run docs generates from the code (policy/conventions.ts, the key table, the stack outputs)", async () => {
    const committed = fs.readFileSync(CONVENTIONS_DOC, "utf8");
    const generated = await renderConventions();
    const firstDiff = [...generated].findIndex((ch, i) => committed[i] !== ch);
    assert.ok(
      committed === generated,
      `docs/conventions.md is out of date (first difference at line ${generated.slice(0, firstDiff).split("\n").length}): run npm run docs`,
    );
  });
});
