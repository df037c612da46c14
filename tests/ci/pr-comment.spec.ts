import { strict as assert } from "node:assert";
import { ACTIONS_BOT, commentBody, markerFor, nextPageUrl, renderFeatureComment, upsertComment } from "../../scripts/ci/pr-comment";

const marker = markerFor("preview");
const bot = { login: ACTIONS_BOT };

describe("pr-comment", () => {
  it("creates a comment when none carries the marker", () => {
    const plan = upsertComment([{ id: 1, body: "LGTM", user: { login: "alice" } }], "hello", marker);
    assert.deepEqual(plan, { action: "create", body: `${marker}\nhello\n`, deleteIds: [] });
  });

  it("updates our existing comment instead of adding one", () => {
    const plan = upsertComment([{ id: 5, body: `${marker}\nold\n`, user: bot }], "new", marker);
    assert.deepEqual(plan, { action: "update", id: 5, body: `${marker}\nnew\n`, deleteIds: [] });
  });

  it("leaves an identical comment alone", () => {
    const plan = upsertComment([{ id: 5, body: `${marker}\nsame\n`, user: bot }], "same", marker);
    assert.deepEqual(plan, { action: "none", id: 5, deleteIds: [] });
  });

  it("keeps the oldest and deletes duplicates left by a race", () => {
    const comments = [9, 3, 6].map((id) => ({ id, body: `${marker}\nx`, user: bot }));
    const plan = upsertComment(comments, "y", marker);
    assert.equal(plan.action, "update");
    assert.equal(plan.action === "update" ? plan.id : 0, 3);
    assert.deepEqual(plan.deleteIds, [6, 9]);
  });

  it("never touches another user's comment that quotes the marker", () => {
    const plan = upsertComment([{ id: 2, body: `${marker}\nquoted`, user: { login: "mallory" } }], "y", marker);
    assert.equal(plan.action, "create");
  });

  it("keeps the preview and feature comments apart", () => {
    const other = markerFor("feature-environment");
    const plan = upsertComment([{ id: 2, body: `${other}\nurl`, user: bot }], "y", marker);
    assert.equal(plan.action, "create");
  });

  it("truncates a body over GitHub's limit and says so", () => {
    const body = commentBody("x".repeat(500), marker, 200);
    assert.equal(body.length, 200);
    assert.match(body, /truncated/);
    assert.ok(body.startsWith(marker));
  });

  it("fails when the marker name is not kebab-case", () => {
    assert.throws(() => markerFor("Preview Comment"), /invalid comment marker "Preview Comment"/);
    assert.throws(() => markerFor("x-->"), /invalid comment marker/);
  });

  it("follows the Link header to the next page", () => {
    const link = '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=4>; rel="last"';
    assert.equal(nextPageUrl(link), "https://api.github.com/x?page=2");
    assert.equal(nextPageUrl('<https://api.github.com/x?page=1>; rel="prev"'), undefined);
    assert.equal(nextPageUrl(null), undefined);
  });
});

describe("pr-comment feature environment", () => {
  it("shows the preview URL, stack and image", () => {
    const body = renderFeatureComment({ state: "deployed", stack: "feature-pr-7", url: "https://pr-7.preview.example.test", imageTag: "0123456789abcdef" });
    assert.match(body, /\*\*https:\/\/pr-7\.preview\.example\.test\*\*/);
    assert.match(body, /`feature-pr-7` · image `0123456789ab`/);
  });

  it("reports a failed deploy and a removal", () => {
    assert.match(renderFeatureComment({ state: "failed", stack: "feature-pr-7" }), /deploy failed/);
    assert.match(renderFeatureComment({ state: "destroyed", stack: "feature-pr-7" }), /were destroyed/);
  });

  it("fails when the state is unknown, quoting it", () => {
    assert.throws(() => renderFeatureComment({ state: "ready", stack: "feature-pr-7" }), /invalid --feature "ready"/);
  });
});
