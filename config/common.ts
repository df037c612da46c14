/** The settings every stack reads: names, domain, registry, ingress and who is who. */
import { KEYS, SUBJECT_NAME } from "./keys";
import { Reader } from "./reader";
import { AccessSettings } from "./settings";

/** Settings shared by the cluster stack and the app stacks. */
export interface Common {
  appName: string;
  domain: string;
  imageRegistry: string;
  ingressKind: "ingress" | "ingressroute";
  tlsCertResolver?: string;
  access: AccessSettings;
}

/** Reads the keys every stack accepts, defaults from the key table. */
export function readCommon(r: Reader): Common {
  return {
    appName: r.setting("appName"),
    domain: r.setting("domain"),
    imageRegistry: r.setting("imageRegistry"),
    ingressKind: r.setting("ingressKind") as Common["ingressKind"],
    tlsCertResolver: r.setting("tlsCertResolver"),
    access: readAccess(r),
  };
}

function readAccess(r: Reader): AccessSettings {
  const list = (key: "developerGroups" | "developerUsers" | "qaGroups" | "qaUsers"): string[] =>
    r.stringList(key, SUBJECT_NAME, "a list of RBAC subject names without spaces") ?? (JSON.parse(KEYS[key].default) as string[]);
  return { developerGroups: list("developerGroups"), developerUsers: list("developerUsers"), qaGroups: list("qaGroups"), qaUsers: list("qaUsers") };
}
