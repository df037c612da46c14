/** image-tag-pinned: outside feature environments images carry an explicit, non-`latest` tag or a digest. */
import { stringList } from "../analysis/context";
import { containersOf, describe, parseImage } from "../analysis/objects";
import { isUnknown, str } from "../analysis/values";
import { KINDS_SCHEMA, PackRule, configOf, resourcesOf, templatesToCheck } from "./kit";

export const imageTagPinned: PackRule = {
  name: "image-tag-pinned",
  description: "Images outside feature environments are pinned: an explicit tag other than `latest`, or a digest.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Deploy the commit's image tag (`pulumi config set imageTag <sha>`), never `latest` or an untagged image.",
  configSchema: {
    properties: {
      exemptKinds: { ...KINDS_SCHEMA, default: ["feature"] },
      forbiddenTags: { type: "array", items: { type: "string" }, default: ["latest"] },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = configOf(args);
    const forbidden = stringList(cfg, "forbiddenTags", ["latest"]);
    for (const t of templatesToCheck(resourcesOf(args), stringList(cfg, "exemptKinds", ["feature"]))) {
      const cs = containersOf(t.spec);
      if (isUnknown(cs)) continue;
      for (const c of cs) {
        const image = str(c.value, "image");
        if (typeof image !== "string") continue;
        const p = parseImage(image);
        if (p.digest) continue;
        if (p.tag === undefined) reportViolation(`${describe(t.owner)}: container ${c.name} image ${image} has no tag`, t.owner.urn);
        else if (forbidden.includes(p.tag))
          reportViolation(`${describe(t.owner)}: container ${c.name} image ${image} uses the moving tag "${p.tag}"`, t.owner.urn);
      }
    }
  },
};
