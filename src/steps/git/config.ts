/** A `git` step, rendered. */
export interface GitConfig {
  /** The URL without userinfo: what argv, plans and origin see. */
  repo: string;
  /** The repo URL as written when it holds credentials (only credentialEnv reads it). */
  written?: string;
  ref: string;
  dest: string;
  submodules: boolean;
  depth?: number;
  /** `run --locked`: submodule path → the commit the lock has there (checked out after the update). */
  submoduleCommits?: Record<string, string>;
}
