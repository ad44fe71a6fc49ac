import { aptKind } from './apt.js';
import { cmakeKind } from './cmake.js';
import { configKind } from './config.js';
import { envKind } from './env.js';
import { fileKind } from './file.js';
import { gitKind } from './git.js';
import { makeKind } from './make.js';
import { runKind } from './run.js';
import type { StepKind } from './types.js';

/** Every step kind. Adding a kind is one file plus one line here. */
export const STEP_KINDS: readonly StepKind<any, any>[] = [runKind, fileKind, envKind, configKind, aptKind, cmakeKind, makeKind, gitKind];

export const KIND_BY_NAME: ReadonlyMap<string, StepKind<any, any>> = new Map(STEP_KINDS.map((k) => [k.kind, k]));
