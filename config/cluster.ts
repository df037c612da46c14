/**
 * The cluster stack's settings: the guardrails of qa, staging and production (with quota
 * overrides), the GitHub environments, the CI's OIDC repository and alert routing.
 */
import { KIND_PROFILES, QuotaProfile } from "../base/profiles";
import type { AlertReceivers, ReceiverTarget } from "../monitoring/routing";
import { FEATURE_ENVIRONMENT_PATTERN, LONG_LIVED_ENVIRONMENTS } from "../policy/conventions";
import { parseQuantity } from "../k8s/quantity";
import { Common } from "./common";
import { environmentHost, guardrailsFor } from "./environment";
import { Reader, serviceNames } from "./reader";
import { ClusterSettings, GitHubSettings } from "./settings";

/** Reads everything the cluster stack deploys. */
export function readCluster(r: Reader, common: Common): ClusterSettings {
  const quotas = readQuotaOverrides(r);
  const hosts: Record<string, string> = {};
  for (const env of LONG_LIVED_ENVIRONMENTS) hosts[env] = environmentHost(env, env, common.domain);
  return {
    appName: common.appName,
    domain: common.domain,
    access: common.access,
    environments: LONG_LIVED_ENVIRONMENTS.map((env) => guardrailsFor(env, env, quotas[env])),
    apiServerUrl: r.setting("apiServerUrl"),
    github: readGitHub(r),
    ciOidcRepository: r.setting("ciOidcRepository"),
    hosts,
    alerting: {
      environments: LONG_LIVED_ENVIRONMENTS.flatMap((env) => {
        const alerts = KIND_PROFILES[env].alerts;
        return alerts ? [{ environment: env, severity: alerts.severity }] : [];
      }),
      receivers: readAlertReceivers(r),
    },
    dashboard: {
      services: serviceNames(),
      // Production first: the dashboard opens on it.
      environments: [...LONG_LIVED_ENVIRONMENTS].reverse(),
      previewPattern: FEATURE_ENVIRONMENT_PATTERN,
    },
  };
}

/** `quotas`: per long-lived environment, fields of its profile's quota to override. */
function readQuotaOverrides(r: Reader): Record<string, QuotaProfile> {
  const result: Record<string, QuotaProfile> = {};
  const value = r.object("quotas") ?? {};
  for (const env of LONG_LIVED_ENVIRONMENTS) result[env] = KIND_PROFILES[env].quota;
  for (const [env, override] of Object.entries(value)) {
    if (!(LONG_LIVED_ENVIRONMENTS as readonly string[]).includes(env)) {
      r.fail(`quotas.${env}`, override, `unknown environment; quotas can be set for ${LONG_LIVED_ENVIRONMENTS.join(", ")}`);
      continue;
    }
    result[env] = mergeQuota(r, `quotas.${env}`, result[env], (override ?? {}) as Record<string, unknown>);
  }
  return result;
}

function mergeQuota(r: Reader, key: string, base: QuotaProfile, override: Record<string, unknown>): QuotaProfile {
  const merged = { ...base } as Record<string, string | number>;
  for (const [field, q] of Object.entries(override)) {
    if (!(field in base)) {
      r.fail(`${key}.${field}`, q, `unknown field; fields are ${Object.keys(base).join(", ")}`);
    } else if (typeof base[field as keyof QuotaProfile] === "number") {
      const n = r.checkInteger(`${key}.${field}`, q, 0, 10000);
      if (n !== undefined) merged[field] = n;
    } else if ((typeof q !== "string" && typeof q !== "number") || parseQuantity(q) === undefined) {
      r.fail(`${key}.${field}`, q, "a Kubernetes quantity such as 8 or 16Gi");
    } else {
      merged[field] = String(q);
    }
  }
  return merged as unknown as QuotaProfile;
}

const GITHUB_FIELDS = ["enabled", "owner", "repository", "qaReviewers", "releaseApprovers", "preventSelfReview", "productionBranch"];

/** `github`: the repository whose environments the cluster stack manages; off unless enabled. */
function readGitHub(r: Reader): GitHubSettings {
  const value = r.object("github") ?? {};
  r.unknownFields("github", value, GITHUB_FIELDS);
  const str = (field: string, fallback: string, pattern: RegExp): string => {
    const v = value[field];
    if (v === undefined) return fallback;
    if (typeof v !== "string" || !pattern.test(v)) {
      r.fail(`github.${field}`, v, `a string matching ${pattern}`);
      return fallback;
    }
    return v;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const v = value[field];
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") r.fail(`github.${field}`, v, "true or false");
    return v === true;
  };
  const settings: GitHubSettings = {
    enabled: bool("enabled", false),
    owner: str("owner", "", /^[A-Za-z0-9][A-Za-z0-9-]*$/),
    repository: str("repository", "", /^[A-Za-z0-9_.-]+$/),
    qaReviewers: readReviewers(r, "github.qaReviewers", value.qaReviewers),
    releaseApprovers: readReviewers(r, "github.releaseApprovers", value.releaseApprovers),
    preventSelfReview: bool("preventSelfReview", true),
    // No wildcards: a pattern would admit branches any developer can create.
    productionBranch: str("productionBranch", "main", /^[A-Za-z0-9._/-]+$/),
  };
  if (settings.enabled) checkGitHubEnabled(r, settings, value);
  else settings.disabledReason = "github.enabled is not true (no repository configured)";
  return settings;
}

/** An enabled repository needs its name and someone to approve staging and production. */
function checkGitHubEnabled(r: Reader, settings: GitHubSettings, value: Record<string, unknown>): void {
  if (!settings.owner) r.fail("github.owner", value.owner, "the repository owner, required when github.enabled is true");
  if (!settings.repository) r.fail("github.repository", value.repository, "the repository name, required when github.enabled is true");
  if (settings.releaseApprovers.teams.length + settings.releaseApprovers.users.length === 0) {
    r.fail("github.releaseApprovers", value.releaseApprovers, "at least one team or user: production deploys need a reviewer");
  }
  if (settings.qaReviewers.teams.length + settings.qaReviewers.users.length === 0) {
    r.fail("github.qaReviewers", value.qaReviewers, "at least one team or user: staging deploys need QA approval");
  }
}

function readReviewers(r: Reader, key: string, value: unknown): { teams: string[]; users: string[] } {
  if (value === undefined) return { teams: [], users: [] };
  const v = value as Record<string, unknown>;
  const list = (field: string): string[] => {
    const items = v[field];
    if (items === undefined) return [];
    if (!Array.isArray(items) || items.some((i) => typeof i !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(i))) {
      r.fail(`${key}.${field}`, items, "a list of GitHub team slugs or user logins");
      return [];
    }
    return items as string[];
  };
  return { teams: list("teams"), users: list("users") };
}

const HTTP_URL = { pattern: /^https?:\/\/[^\s/]+\S*$/, accepted: "an http(s):// URL" };
/** The fields of each receiver type: whether required, and what a value must look like. */
const RECEIVER_FIELDS: Record<ReceiverTarget["type"], Record<string, { required: boolean; pattern: RegExp; accepted: string }>> = {
  pagerduty: {
    routingKey: { required: true, pattern: /^[A-Za-z0-9]{32}$/, accepted: "a PagerDuty Events API v2 integration key (32 letters and digits)" },
  },
  slack: {
    webhookUrl: { required: true, ...HTTP_URL },
    channel: { required: false, pattern: /^[#@]?[a-z0-9._-]{1,80}$/, accepted: "a Slack channel such as #staging-alerts" },
  },
  webhook: { url: { required: true, ...HTTP_URL } },
};

/**
 * `alertReceivers`: `{ paging?: target, chat?: target }`, each target `{ type: pagerduty,
 * routingKey }`, `{ type: slack, webhookUrl, channel? }` or `{ type: webhook, url }`. A secret key
 * (the key table): its problems name the field and never show the value.
 */
function readAlertReceivers(r: Reader): AlertReceivers {
  const key = "alertReceivers";
  const value = r.json(key);
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    r.fail(key, value, "an object { paging?, chat? } (set it with `pulumi config set --secret --path`)");
    return {};
  }
  const result: AlertReceivers = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const at = `${key}.${name}`;
    if (name !== "paging" && name !== "chat") {
      r.fail(at, raw, "unknown receiver; receivers are paging (critical alerts) and chat (every other alert)");
      continue;
    }
    const target = readReceiver(r, at, raw);
    if (target !== undefined) result[name] = target;
  }
  return result;
}

/** One receiver target, checked field by field against its type. */
function readReceiver(r: Reader, at: string, raw: unknown): ReceiverTarget | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return r.fail(at, raw, "an object with a type (pagerduty, slack or webhook) and its fields");
  }
  const target = raw as Record<string, unknown>;
  if (typeof target.type !== "string" || !Object.hasOwn(RECEIVER_FIELDS, target.type)) {
    return r.fail(`${at}.type`, target.type, `one of ${Object.keys(RECEIVER_FIELDS).join(", ")}`);
  }
  const fields = RECEIVER_FIELDS[target.type as ReceiverTarget["type"]];
  const problems = r.problems.length;
  for (const f of Object.keys(target)) {
    if (f !== "type" && !Object.hasOwn(fields, f)) {
      r.fail(`${at}.${f}`, target[f], `unknown field for type ${target.type}; fields are ${Object.keys(fields).join(", ")}`);
    }
  }
  for (const [f, spec] of Object.entries(fields)) {
    const v = target[f];
    if (v === undefined || (spec.required && v === "")) {
      if (spec.required) r.fail(`${at}.${f}`, v, `required for type ${target.type}`);
    } else if (typeof v !== "string" || !spec.pattern.test(v)) {
      r.fail(`${at}.${f}`, v, spec.accepted);
    }
  }
  return r.problems.length === problems ? (target as unknown as ReceiverTarget) : undefined;
}
