import { aptKind } from './apt.js';
import { cmakeKind } from './cmake.js';
import { configKind } from './config.js';
import { downloadKind } from './download.js';
import { envKind } from './env.js';
import { fileKind } from './file.js';
import { gitKind } from './git.js';
import { makeKind } from './make.js';
import { pipKind } from './pip.js';
import { runKind } from './run.js';
import { venvKind } from './venv.js';
import type { StepKind } from './types.js';

/** Every step kind. Adding a kind is one file plus one line here. */
export const STEP_KINDS: readonly StepKind<any, any>[] = [runKind, fileKind, envKind, configKind, aptKind, cmakeKind, makeKind, gitKind, pipKind, venvKind, downloadKind];

/** The kinds by name; only the loader looks a kind up (catalog/load.ts), everything after holds it (`step.impl`). */
export const KIND_BY_NAME: ReadonlyMap<string, StepKind<any, any>> = new Map(STEP_KINDS.map((k) => [k.kind, k]));
