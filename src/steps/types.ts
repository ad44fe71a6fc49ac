import type * as z from '../util/zod.js';
import type { Loc } from '../util/errors.js';
import type { FactValue } from '../facts/registry.js';
import type { FactStore } from '../facts/store.js';
import type { Profile } from '../lang/schema.js';
import type { Memo } from '../util/memo.js';
import type { Paths } from '../util/paths.js';
import type { RunResult, Runner } from '../util/process.js';

/**
 * A command as it will run: through bash (`shell`) or as an argv (no shell). A script's template values are
 * never part of its text: they are environment variables (`vars`) it refers to; `display` is the script as
 * people read it, the values written in.
 */
export type Command = { shell: string; vars?: Record<string, string>; display?: string } | { argv: string[] };

/** The three outcomes of a check (docs/architecture.md, "Habits"): could-not-tell is never folded into "will run". */
export interface CheckResult {
  state: 'satisfied' | 'unsatisfied' | 'unknown';
  reason: string;
  /**
   * Unsatisfied, and it cannot succeed on this host as it is (its python does not exist, git is not installed):
   * what is missing and how to fix it. Said only where that is cheap and certain; the plan marks the step
   * blocked unless an earlier step will run (which may install what is missing).
   */
  blocked?: string;
}

/** The common keys of a step, resolved (templates rendered, paths absolute). */
export interface StepCommon {
  check?: Command;
  /** Exits 0 when the step is not needed at all: then it is satisfied without any other check. */
  unless?: Command;
  creates: string[];
  env: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  retries: number;
  root: boolean;
}

/** A step ready to check and apply: its recipe, position, kind config and common keys, all rendered. */
export interface ResolvedStep<C = unknown> {
  /** `recipe#n`, n 1-based: stable within a recipe file. */
  id: string;
  recipe: string;
  index: number;
  name: string;
  /** The kind's name, as the recipe writes it (`run`, `pip`…): what plans, logs and `--json` show. */
  kind: string;
  /** The kind itself (the loader looked it up once): what checks, describes and applies this step. */
  impl: StepKind<unknown, unknown>;
  config: C;
  common: StepCommon;
  /** Why `when:` does not hold (the step is skipped), or null when it does. */
  whenFailed: string | null;
  /** `when:` fails because the host already has what the step installs (see lang/when.ts hostAlreadyHas). */
  hostHas?: boolean;
  /** The step's `tags:` (for `--tags` / `--skip-tags`); not an input: tagging a step never reruns it. */
  tags?: readonly string[];
  loc: Loc;
}

/** What a step will do, for plan and show: one line, plus the commands, URLs and files involved. */
export interface Action {
  summary: string;
  commands?: string[];
  urls?: string[];
  files?: string[];
  /** Things the user should see in red: insecure downloads, http URLs. */
  warnings?: string[];
  /** What a preview found (pip: the versions it would install, or the pins the index lacks). */
  notes?: string[];
  /** pip: what it would install, from a dry run (for --json). */
  install?: { name: string; version: string }[];
}

/** What `plan` learns of a pending step by asking its tool without changing anything (see StepKind.preview). */
export interface Preview {
  notes: string[];
  install?: { name: string; version: string }[];
  /** The step cannot succeed as it is (a pinned version the index lacks): the plan marks it blocked with this reason. */
  blocked?: string;
}

/**
 * A file a step's apply writes, as it is and as it will be (`plan --diff`, `run --diff`): the text the
 * apply would write, computed by the same code.
 */
export interface FileChange {
  path: string;
  /** Undefined: the file does not exist yet. */
  before: string | undefined;
  after: string;
  /** The mode the step gives the file, when it sets one that differs (before: undefined for a new file). */
  mode?: { before: number | undefined; after: number };
  /** Values in `before` that a secret replaces (a rotated token): secrets too, masked in the diff. */
  replaced?: string[];
}

/** How a `render` hook reads a file: the plan gives the files as the earlier pending steps leave them. */
export type ReadFile = (file: string) => Promise<string | undefined>;

/** A value in a lock entry: plain data the lock file writes as YAML (maps sorted by key when written). */
export type LockValue = string | number | boolean | LockValue[] | { [key: string]: LockValue };

/**
 * What `setup lock` records of a satisfied step: what is installed now (pip: every distribution and its
 * version; git: the commit and each submodule's; download: URL, sha256, size; packages: installed versions).
 * Plain data, written into `envkit.lock` by plan/lock-file.ts.
 */
export type LockEntry = { [key: string]: LockValue };

/** What a kind's `locked` hook makes of a step's config and its lock entry: the config that installs exactly the entry, or why it cannot. */
export type LockedConfig<Config> = { config: Config } | { problem: string; hint?: string };

/** What a kind's `bundle` hook is given (see StepKindDef.bundle). */
export interface BundleContext {
  /** The bundle folder, absolute; each kind writes under its own subfolder (git/, pip/, files/, apt/). */
  dir: string;
  /** What checks see of this host (its runner, profile — the one to fetch through — and paths). */
  env: StepEnv;
  /** The step's entry in the lock, when one was given: fetch exactly that (pins, commits, versions). */
  locked?: LockEntry;
  /**
   * What the bundle's manifest (bundle.json) records for this step, when there is one: with `checkOnly`,
   * what a kind that cannot tell its set alone (pip without a lock: the resolved wheels) checks is still there.
   */
  recorded?: Omit<BundleItem, 'fetched'>[];
  /** The interpreter the wheels are for, when not this host's (`--python-version`, `--platform`). */
  target?: { pythonVersion?: string; platform?: string };
  /** List what is missing instead of fetching it (doctor with a bundle's profile). */
  checkOnly: boolean;
  /** Progress of long work, shown on a TTY. */
  progress(text: string): void;
  signal?: AbortSignal;
}

/** One thing a bundle holds for a step: its path under the bundle folder, its size, and whether this run fetched it. */
export interface BundleItem {
  path: string;
  bytes: number;
  fetched: boolean;
  /** A file's sha256 (the manifest's checksum; doctor checks it); a git mirror has none. */
  sha256?: string;
  /** A git mirror: the commits the bundle needs it to hold (the step's and its submodules'). */
  commits?: string[];
}

/** What a kind's `bundle` hook did, and what the bundle's profile needs for the step. */
export interface BundleResult {
  items: BundleItem[];
  /** With `checkOnly`: what the folder lacks, one line each (`git: github.com/x/y.git lacks commit abc…`). */
  missing: string[];
  /**
   * What DIR/profile.yaml must say for this step, paths relative to DIR written `./…` (the profile loader
   * makes them absolute against the profile's folder): e.g. `{ git: { rewrite: { URL: './git/…' } } }`,
   * `{ pip: { 'index-url': './pip/simple/' } }`, `{ urls: { rewrite: { URL: './files/…' } } }`,
   * `{ apt: { repository: './apt' } }`. The bundle command merges every step's.
   */
  profile: Partial<Profile>;
}

/**
 * What `setup export sh` writes for a step (see StepKindDef.shell): bash text, run with `bash -e -o pipefail`
 * where the script runs. The step's common keys (unless, creates, check, env, cwd, root, timeout, retries)
 * are put around it by the export, not here.
 */
export interface ShellStep {
  /** Exits 0 when the kind's own check is satisfied (absent: the kind has none, or none for this config). */
  check?: string;
  /** Does the work. */
  apply: string;
  /** What the script does differently from setup for this step, one sentence each (said in the header and output). */
  limits?: string[];
}

/** What a kind's `shell` hook is given: the exporting host's view, and the one quoting function. */
export interface ShellContext {
  env: StepEnv;
  facts: Readonly<Record<string, FactValue>>;
  /** A value as one bash word (util/sh-word.ts): secrets become environment references, the home folder `$HOME`. */
  q(value: string): string;
  /**
   * What earlier steps of the same script leave for later ones, by key: a file several steps edit (the env
   * file, a config file) as a fresh host has it after them, so each step writes what setup would.
   */
  shared: Map<string, string>;
}

/** Renders templates inside a step while it is resolved. */
export interface Templater {
  /** A string with values inserted as they are. */
  str(s: string): string;
  /** A shell command: every inserted value becomes an environment variable the script refers to. */
  sh(s: string): { shell: string; vars: Record<string, string>; display: string };
  /** A string for another language: every inserted value passed through `escape` (make: `$` → `$$`). */
  escaped(s: string, escape: (value: string) => string): string;
  /** A path: rendered, `~/` expanded, made absolute against the step's cwd. */
  path(s: string): string;
  /** A file that comes with the recipe: rendered, `~/` expanded, made absolute against the recipe file's folder. */
  file(s: string): string;
  /** Any value: every string inside rendered with `str`. */
  deep<T>(v: T): T;
  /** Like `deep`, but a string that is exactly `{{ name }}` of a list or map (a mirror's conda channels) becomes it. */
  value(v: unknown): unknown;
}

/** What checks see of the host. Checks never change anything. */
export interface StepEnv {
  runner: Runner;
  facts: FactStore;
  paths: Paths;
  prefix: string;
  profile: Profile;
  processEnv: NodeJS.ProcessEnv;
  /** Shared reads for checks (dpkg status, pip list…), cleared after every step that runs. */
  memo: Memo;
  /** CPUs to use for builds (`jobs` defaults to it). */
  cpus: number;
  /** What each step last ran with (absent: inputs are not compared). */
  inputs?: StepNotes;
}

/**
 * Notes a kind keeps with a step's record of its last successful run (pip: the installed set its imports
 * passed with), so a later plan can skip work. Kept by `plan/inputs.ts`'s InputStore.
 */
export interface StepNotes {
  /** Keeps a note for the step's record, written with it when the step succeeds. */
  note(step: ResolvedStep, key: string, value: string): void;
  /** A note taken in this process, else the one kept by the step's last run if its inputs are unchanged. */
  recall(step: ResolvedStep, key: string): string | undefined;
}

/** What applies get on top: a way to run commands (logged, timed, as root when asked) and a log. */
export interface ApplyEnv extends StepEnv {
  /** Runs a command for the step (its env, cwd, timeout, root); throws StepFailure when it fails. */
  exec(
    cmd: Command,
    opts?: { cwd?: string; env?: Record<string, string>; input?: string; root?: boolean },
  ): Promise<RunResult>;
  /** Runs `fn` at most once per `setup run` (e.g. `apt-get update`). */
  once(key: string, fn: () => Promise<void>): Promise<void>;
  /** A line in the run log (and the progress display). */
  log(line: string): void;
  /** Progress of long work (a download's percentage): shown on a TTY, not logged. */
  progress(text: string): void;
  signal: AbortSignal;
  /** The step runs again because its inputs changed since it last ran (a build may clean first). */
  inputsChanged: boolean;
  /** Later steps of this run whose work this apply does too (the kind's `together` chose them); often none. */
  together: readonly ResolvedStep[];
}

/**
 * One step kind as its file writes it: its schema, how to resolve, describe, check and apply it. The hooks
 * that mean something when left out are filled in by `defineKind`; the result is registered in steps/registry.ts.
 */
export interface StepKindDef<Spec = unknown, Config = Spec> {
  kind: string;
  /** Earlier names recipes may still use as the kind key (`apt` for `packages`): they load to this kind. */
  aliases?: readonly string[];
  /** One sentence for docs and `--help`. */
  description: string;
  /** What "satisfied" means for this kind, for docs. */
  satisfiedWhen: string;
  /** Schema of the value under the kind key. */
  schema: z.ZodType<Spec>;
  /** Load-time checks beyond the schema, located by a path inside the spec. */
  lint?(spec: Spec): KindLint[];
  /**
   * Files the spec names relative to the recipe file's folder (pip's `requirements:`), by their path inside
   * the spec: `setup validate` reports those missing there. Values with templates are left to the check.
   */
  recipeFiles?(spec: Spec): { path: (string | number)[]; file: string }[];
  /** Renders templates in the spec into the config the other methods use. */
  resolve(spec: Spec, t: Templater): Config;
  /** Facts `describe` reads (gathered before it is called, with the recipes' own). */
  facts?: readonly string[];
  describe(step: ResolvedStep<Config>, env: StepEnv, facts: Readonly<Record<string, FactValue>>): Action;
  /**
   * Optional batch read before the checks of a plan: e.g. one interpreter call answering every pip
   * step, stored in `env.memo`. `check` must still work alone (after a step runs, the memo is cleared).
   */
  prefetch?(steps: ResolvedStep<Config>[], env: StepEnv): Promise<void>;
  /** Whether `check` can judge this config (default: yes). A cmake build step cannot. */
  selfCheck?(config: Config): boolean;
  /** `plan` (unless --no-resolve): a closer look at a pending step, e.g. pip's dry-run resolution. Changes nothing. */
  preview?(step: ResolvedStep<Config>, env: StepEnv): Promise<Preview>;
  /**
   * `setup lock`: what is installed now for a satisfied step, read without changing anything. Kinds without
   * it record nothing; undefined: nothing to record on this host (a packages step with no name here).
   */
  lock?(step: ResolvedStep<Config>, env: StepEnv): Promise<LockEntry | undefined>;
  /**
   * `setup lock --resolve`: what the step WOULD install, asked of its sources without installing anything
   * (pip: a dry run's report with the index's hashes; git: `ls-remote` of the ref; download: URL, sha256
   * and the size a HEAD request gives; packages: the candidate versions). Works whether or not the step is
   * satisfied; the entry has the same shape as `lock`'s, plus `note:` for what cannot be known beforehand.
   */
  resolveLock?(step: ResolvedStep<Config>, env: StepEnv): Promise<LockEntry | undefined>;
  /**
   * `run --locked`, `plan --locked`: the step's config rewritten to install exactly `entry` (what its `lock`
   * hook recorded): pip pins every locked distribution, git checks out the locked commits, packages pin the
   * versions, a download is verified by the locked sha256. Or a problem: the entry does not fit the step (another
   * repository, a recipe sha256 that differs). Pure; the normal check, preview and apply then do the work.
   * Kinds with a `lock` hook but no `locked` one run as the recipe says.
   */
  locked?(config: Config, entry: LockEntry): LockedConfig<Config>;
  /**
   * `setup bundle`: gathers into `ctx.dir` everything this step needs to run on a machine with no network
   * (git: bare mirrors of the repository and every submodule; pip: the wheels; download: the file; packages:
   * the .deb files with their dependencies) and says what the bundle's profile must point there. With
   * `ctx.checkOnly`, fetches nothing and lists what the folder lacks. What is there and verified is not
   * fetched again. Kinds without it need nothing from the network.
   */
  bundle?(step: ResolvedStep<Config>, ctx: BundleContext): Promise<BundleResult>;
  /**
   * `setup export sh`: the step as bash, checked and applied where the script runs (no Node there). Kinds
   * without it cannot be exported (the export says so and stops).
   */
  shell?(step: ResolvedStep<Config>, ctx: ShellContext): ShellStep;
  /**
   * `setup run`: the later steps to run (in order, pending) whose work this step's apply can do at once —
   * pip: the next pip steps into the same interpreter with the same index and options, up to a step that
   * might prepare for them. The executor passes them as `env.together`; each is still checked in its turn
   * (and runs alone when the check says it must). Kinds without it do one step's work.
   */
  together?(step: ResolvedStep<Config>, later: readonly ResolvedStep[]): ResolvedStep[];
  /**
   * `setup run`: network work a later step can do while earlier steps run, changing nothing but envkit's own
   * caches (download: the pinned file into the sha256 cache). The executor starts it ahead, bounded, and
   * waits for it when the step's turn comes; its failure is ignored (the step's own apply meets it again
   * and says it). Kinds without it do their work in their turn.
   */
  early?(step: ResolvedStep<Config>, env: StepEnv, signal: AbortSignal): Promise<void>;
  /**
   * `plan --diff`, `run --diff`: every file the step's apply writes, as it is (read through `read`) and as it
   * will be, computed by the code apply writes with. Changes nothing. Kinds without it show no diff.
   */
  render?(step: ResolvedStep<Config>, env: StepEnv, read: ReadFile): Promise<FileChange[]>;
  /** `root:` when the step does not say (packages: true). */
  defaultRoot?: boolean;
  /** The kind's own check; kinds without one rely on the step's `check` / `creates`. */
  check?(step: ResolvedStep<Config>, env: StepEnv): Promise<CheckResult>;
  apply(step: ResolvedStep<Config>, env: ApplyEnv): Promise<void>;
  /** Example steps (YAML), validated by the test suite. */
  examples: string[];
}

/** A problem `lint` finds, located by a path inside the spec (and, optionally, a needle in that value's text). */
export interface KindLint {
  path: (string | number)[];
  message: string;
  /** A warning does not stop the recipe from loading (default: an error). */
  severity?: 'warning';
  hint?: string;
  needle?: string;
  nth?: number;
}

/** A step kind with its defaults filled in (see defineKind): callers use every hook without asking whether it is there. */
export interface StepKind<Spec = unknown, Config = Spec> extends StepKindDef<Spec, Config> {
  lint(spec: Spec): KindLint[];
  facts: readonly string[];
  prefetch(steps: ResolvedStep<Config>[], env: StepEnv): Promise<void>;
  /** Does the kind's own `check` judge this config: false when it has no `check`. */
  selfCheck(config: Config): boolean;
  defaultRoot: boolean;
}

/**
 * A step kind, its defaults in one place: no load-time checks beyond the schema, no facts, nothing to
 * prefetch, not root, and its own `check` (when it has one) judges every config unless `selfCheck` says not.
 */
export function defineKind<Spec, Config = Spec>(k: StepKindDef<Spec, Config>): StepKind<Spec, Config> {
  const { selfCheck, check } = k;
  return {
    lint: () => [],
    facts: [],
    prefetch: async () => undefined,
    defaultRoot: false,
    ...k,
    selfCheck: (config) => !!check && (selfCheck?.(config) ?? true),
  };
}

/** Why a step failed, as data the CLI renders: the command, exit, last output lines, and a hint. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly details: {
      command?: string;
      exitCode?: number | null;
      signal?: string | null;
      tail?: string[];
      hint?: string;
    } = {},
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}
