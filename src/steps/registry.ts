import { cmakeKind } from './cmake.js';
import { configKind } from './config.js';
import { downloadKind } from './download.js';
import { envKind } from './env.js';
import { fileKind } from './file.js';
import { gitKind } from './git.js';
import { makeKind } from './make.js';
import { packagesKind } from './packages.js';
import { pipKind } from './pip.js';
import { runKind } from './run.js';
import { venvKind } from './venv.js';
import type { StepKind } from './types.js';

/** Every step kind. Adding a kind is one file plus one line here. */
export const STEP_KINDS: readonly StepKind<unknown, unknown>[] = [
  runKind,
  fileKind,
  envKind,
  configKind,
  packagesKind,
  cmakeKind,
  makeKind,
  gitKind,
  pipKind,
  venvKind,
  downloadKind,
];

/** The kinds by name; only the loader looks a kind up (catalog/load.ts), everything after holds it (`step.impl`). */
export const KIND_BY_NAME: ReadonlyMap<string, StepKind<unknown, unknown>> = new Map(
  STEP_KINDS.map((k) => [k.kind, k]),
);

/** Every key a step may be written with: each kind's name and its aliases (`apt` → the packages kind). */
export const KIND_BY_KEY: ReadonlyMap<string, StepKind<unknown, unknown>> = new Map(
  STEP_KINDS.flatMap((k) => [k.kind, ...(k.aliases ?? [])].map((key) => [key, k] as const)),
);

/** Each earlier kind name and the name it stands for now (`apt` → `packages`): for records kept under an old name. */
export const KIND_RENAMES: ReadonlyMap<string, string> = new Map(
  STEP_KINDS.flatMap((k) => (k.aliases ?? []).map((alias) => [alias, k.kind] as const)),
);
