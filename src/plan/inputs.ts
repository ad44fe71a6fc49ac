import { getOwn } from '../util/keys.js';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { inputsOf, JUDGING, recipeStepsOf } from '../steps/inputs.js';
import { KIND_RENAMES } from '../steps/registry.js';
import type { ResolvedStep, StepEnv, StepNotes } from '../steps/types.js';
import { tempListIn, writeVerified } from '../util/verified-write.js';

/** A step's state rests on `creates` or a `check:` command, which cannot see what it was built from. */
export function judgedByInputs(step: ResolvedStep, selfChecks: boolean): boolean {
  return !selfChecks && (step.common.creates.length > 0 || !!step.common.check);
}

interface Record_ {
  time: string;
  inputs: Record<string, string>;
  /** What a kind noted while the step ran (pip: the installed set its imports passed with). */
  notes?: Record<string, string>;
}

/** A step env as the planner and executor hold it: with the full input store, not only its notes. */
export interface PlanEnv extends StepEnv {
  inputs?: InputStore;
}

/**
 * The inputs each step had when it last ran successfully (`$XDG_STATE_HOME/envkit/inputs.json`), so a
 * plan sees that `--set openblas.target_x86_64=HASWELL` needs a new build although libopenblas.a exists.
 * A step with no record (built before envkit recorded inputs, or by hand) is judged by its checks alone.
 */
export class InputStore implements StepNotes {
  private data: { version: 1; steps: Record<string, Record_> } | undefined;

  /**
   * `trustNotes`: whether checks may use notes (pip: skip imports that passed with exactly these versions).
   * `plan` and `list` do, to stay fast; `run` and `doctor` check again, so what they call done was seen
   * working now.
   */
  constructor(
    readonly file: string,
    readonly trustNotes = false,
  ) {}

  private load(): { version: 1; steps: Record<string, Record_> } {
    if (this.data) return this.data;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      parsed = undefined; // missing or unreadable: no records (never a reason to fail a plan)
    }
    const steps = (parsed as { steps?: unknown } | undefined)?.steps;
    this.data = {
      version: 1,
      steps: Object.assign(
        Object.create(null) as Record<string, Record_>,
        steps && typeof steps === 'object' ? steps : {},
      ),
    };
    return this.data;
  }

  /** What changed since the step last ran (display lines), [] when nothing did, or null when there is no record. */
  changes(step: ResolvedStep): string[] | null {
    const rec = this.load().steps[step.id];
    if (!rec || typeof rec.inputs !== 'object' || !rec.inputs) return null;
    const was = underKindNames(rec.inputs);
    const now = inputsOf(step);
    const out: string[] = [];
    for (const k of new Set([...Object.keys(was), ...Object.keys(now)])) {
      if (JUDGING.test(k)) continue;
      const before = getOwn(was, k);
      const after = getOwn(now, k);
      if (before === after) continue;
      out.push(`${label(k, (i) => recipeStepsOf(step)[i]?.name ?? '')}: ${shown(before)} → ${shown(after)}`);
    }
    return out;
  }

  /** Notes taken in this process, and those of them already written with a record. */
  private pending = new WeakMap<ResolvedStep, Record<string, string>>();
  private written = new WeakMap<ResolvedStep, Record<string, string>>();

  /** Keeps a note for the step's record, written with it when the step succeeds. */
  note(step: ResolvedStep, key: string, value: string): void {
    this.pending.set(step, { ...this.pending.get(step), [key]: value });
  }

  /**
   * A note taken in this process (a check or apply just now: always fresh), else the one the step's last
   * successful run kept, if its inputs are unchanged since and notes are trusted.
   */
  recall(step: ResolvedStep, key: string): string | undefined {
    const now = this.pending.get(step)?.[key];
    if (now !== undefined) return now;
    if (!this.trustNotes) return undefined;
    const rec = this.load().steps[step.id];
    if (!rec?.notes || typeof rec.notes[key] !== 'string') return undefined;
    return this.changes(step)?.length === 0 ? rec.notes[key] : undefined;
  }

  /**
   * `setup run` only (a plan writes nothing): keeps the notes its checks took of satisfied steps (pip: the
   * installed set their imports passed with), so the next plan need not take them again.
   */
  async saveNotes(steps: readonly ResolvedStep[]): Promise<void> {
    const data = this.load();
    let changed = false;
    for (const step of steps) {
      const notes = this.pending.get(step);
      if (!notes || this.written.get(step) === notes) continue;
      const rec = data.steps[step.id];
      if (rec && this.changes(step)?.length === 0) rec.notes = { ...rec.notes, ...notes };
      else data.steps[step.id] = { time: new Date().toISOString(), inputs: inputsOf(step), notes };
      this.written.set(step, notes);
      changed = true;
    }
    if (changed) await this.write(data);
  }

  private async write(data: { version: 1; steps: Record<string, Record_> }): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeVerified(this.file, JSON.stringify(data, null, 1) + '\n', {
      tempList: tempListIn(path.dirname(this.file)),
    });
  }

  /** Records the step's inputs after it ran successfully (atomically; the run lock keeps writers apart). */
  async record(step: ResolvedStep): Promise<void> {
    const data = this.load();
    const notes = this.pending.get(step);
    if (notes) this.written.set(step, notes);
    data.steps[step.id] = { time: new Date().toISOString(), inputs: inputsOf(step), ...(notes ? { notes } : {}) };
    await this.write(data);
  }
}

/** `apt.packages` or `#1 apt.update`: a key an older setup recorded under a kind's earlier name. */
const ALIASED_KEY = new RegExp(`^(#\\d+ )?(${[...KIND_RENAMES.keys()].join('|') || '(?!)'})\\.`);

/** A record's inputs with each earlier kind name read as the kind's own (`apt.…` → `packages.…`): a rename is not a change. */
function underKindNames(inputs: Record<string, string>): Record<string, string> {
  if (!Object.keys(inputs).some((k) => ALIASED_KEY.test(k))) return inputs;
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [
      k.replace(ALIASED_KEY, (_, n: string | undefined, key: string) => `${n ?? ''}${KIND_RENAMES.get(key)}.`),
      v,
    ]),
  );
}

const shown = (raw: string | undefined): string => {
  if (raw === undefined) return '(none)';
  const v = raw.trim().replace(/\s*\n\s*/g, ' ⏎ ');
  return v.length > 60 ? `${v.slice(0, 57)}…` : v === '' ? '""' : v;
};

/** `#2 make.vars.TARGET` → `Build for NEHALEM: TARGET`; `cmake.defines.X` → `X`; `env.CC` → `env CC`. */
function label(key: string, names: (index: number) => string): string {
  const m = /^#(\d+) (.*)$/.exec(key);
  const own = (k: string): string => k.replace(/^[a-z-]+\.(vars|defines)\./, '').replace(/^env\./, 'env ');
  return m ? `${names(Number(m[1]) - 1) || `step ${m[1]}`}: ${own(m[2]!)}` : own(key);
}

/** Changes as one reason: the first three, then how many more. */
export function describeChanges(changes: readonly string[]): string {
  return `its inputs changed since it last ran: ${changes.slice(0, 3).join('; ')}${changes.length > 3 ? `; and ${changes.length - 3} more` : ''}`;
}
