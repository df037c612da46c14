import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { LONG_LIVED_ENVIRONMENTS } from "../policy/conventions";
import { GitHubSettings } from "../config/settings";

/** A long-lived environment. */
type LongLived = (typeof LONG_LIVED_ENVIRONMENTS)[number];
/** The GitHub environment of one long-lived stack's nightly drift check. */
export type DriftEnvironment = `drift-${"cluster" | LongLived}`;

/** One environment as GitHub should gate it. */
export interface GitHubEnvironmentSpec {
  /**
   * `preview` (every PR's feature stack), `qa`, `staging`, `production`, or `drift-<stack>` (the
   * nightly drift check of one long-lived stack: read-only credential, no reviewers).
   */
  name: "preview" | LongLived | DriftEnvironment;
  /** The environment's namespace, stored as the variable NAMESPACE (none for previews: one per PR). */
  namespace?: string;
  /** The environment's host, stored as the variable HOST (none for previews). */
  host?: string;
  /** The environment's CI kubeconfig (a secret Output). */
  kubeconfig: pulumi.Output<string>;
}

/** Arguments of {@link GitHubEnvironments}. */
export interface GitHubEnvironmentsArgs {
  settings: GitHubSettings;
  environments: GitHubEnvironmentSpec[];
}

/**
 * GitHub repository environments that gate the pipeline: staging needs a QA reviewer,
 * production a release approver (self-review prevented, admins cannot bypass); `preview`, `qa`
 * and the `drift-<stack>` environments need no reviewer (a nightly job would wait every night:
 * their credential reads, never writes, and reads no Secret). Every one deploys only from the
 * production branch (`main`): no tags, no other branch, because a workflow on any other ref could
 * read the environment's secrets. Each
 * holds its CI kubeconfig as an environment secret and, except `preview`, its namespace and host
 * as variables. GitHub requires *one* approval from the listed reviewers: it cannot require two.
 */
export class GitHubEnvironments extends pulumi.ComponentResource {
  readonly environments: Record<string, github.RepositoryEnvironment> = {};
  /** Where each environment's kubeconfig went: `github:owner/repo/environments/<env>/secrets/KUBECONFIG`. */
  readonly secretLocations: Record<string, string> = {};

  constructor(name: string, args: GitHubEnvironmentsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:github:GitHubEnvironments", name, {}, opts);
    const s = args.settings;
    const reviewerIds = (r: { teams: string[]; users: string[] }) => [
      {
        teams: r.teams.map((slug) => github.getTeamOutput({ slug }, { parent: this }).id.apply(Number)),
        users: r.users.map((username) => github.getUserOutput({ username }, { parent: this }).id.apply(Number)),
      },
    ];

    for (const env of args.environments) {
      const reviewers =
        env.name === "production" ? reviewerIds(s.releaseApprovers) : env.name === "staging" ? reviewerIds(s.qaReviewers) : [];
      this.addEnvironment(name, s, env, reviewers);
    }
    this.registerOutputs({ environments: Object.keys(this.environments), secretLocations: this.secretLocations });
  }

  /** One environment: its reviewers, its one deployment branch, the KUBECONFIG secret and its variables. */
  private addEnvironment(name: string, s: GitHubSettings, env: GitHubEnvironmentSpec, reviewers: github.types.input.RepositoryEnvironmentReviewer[]): void {
    const repository = s.repository;
    const environment = new github.RepositoryEnvironment(
      `${name}-${env.name}`,
      {
        repository,
        environment: env.name,
        reviewers,
        preventSelfReview: env.name === "staging" || env.name === "production" ? s.preventSelfReview : false,
        canAdminsBypass: env.name !== "production",
        // Custom policies, not "protected branches": a protected-branch rule with a wildcard
        // would admit branches developers create. Exactly one branch is listed below.
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
      },
      { parent: this },
    );
    this.environments[env.name] = environment;
    new github.RepositoryEnvironmentDeploymentPolicy(
      `${name}-${env.name}-branch`,
      { repository, environment: environment.environment, branchPattern: s.productionBranch },
      { parent: this },
    );
    new github.ActionsEnvironmentSecret(
      `${name}-${env.name}-kubeconfig`,
      { repository, environment: environment.environment, secretName: "KUBECONFIG", plaintextValue: env.kubeconfig },
      { parent: this },
    );
    const variables = { NAMESPACE: env.namespace, HOST: env.host };
    for (const [variableName, value] of Object.entries(variables)) {
      if (value === undefined) continue;
      new github.ActionsEnvironmentVariable(
        `${name}-${env.name}-${variableName.toLowerCase()}`,
        { repository, environment: environment.environment, variableName, value },
        { parent: this },
      );
    }
    this.secretLocations[env.name] = `github:${s.owner}/${repository}/environments/${env.name}/secrets/KUBECONFIG`;
  }
}
