import type { JournalEvent } from './journal.js';

/** A step of a past run, as the journal has it. */
export interface PastStep {
  recipe: string;
  step: string;
  name: string | null;
  /** ok (it ran), already (satisfied when its turn came), failed, interrupted. */
  status: 'ok' | 'already' | 'failed' | 'interrupted';
  message: string;
  durationMs: number;
  time: string | null;
}

/** A past run, from its journal lines. */
export interface PastRun {
  id: string;
  started: string | null;
  /** ok, failed, interrupted; `unfinished` when the journal has no end (setup was killed, or still runs). */
  status: 'ok' | 'failed' | 'interrupted' | 'unfinished';
  durationMs: number | null;
  log: string | null;
  recipes: string[];
  steps: PastStep[];
}

/** Groups journal events into runs, oldest first (a run's place is that of its first line). Pure. */
export function pastRuns(events: readonly JournalEvent[]): PastRun[] {
  const runs = new Map<string, PastRun>();
  for (const e of events) {
    let r = runs.get(e.run);
    if (!r) {
      r = { id: e.run, started: null, status: 'unfinished', durationMs: null, log: null, recipes: [], steps: [] };
      runs.set(e.run, r);
    }
    if (e.event === 'run-start') {
      r.started = e.time ?? null;
      r.log = e.log ?? null;
      r.recipes = e.recipes ?? [];
    } else if (e.event === 'run-end') {
      r.status = e.status === 'ok' || e.status === 'failed' || e.status === 'interrupted' ? e.status : 'failed';
      r.durationMs = e.durationMs ?? null;
    } else {
      r.log ??= e.log ?? null;
      r.steps.push({
        recipe: e.recipe ?? '',
        step: e.step ?? '',
        name: e.name ?? null,
        status:
          e.event === 'step-failed'
            ? 'failed'
            : e.event === 'step-interrupted'
              ? 'interrupted'
              : e.status === 'already'
                ? 'already'
                : 'ok',
        message: e.message ?? '',
        durationMs: e.durationMs ?? 0,
        time: e.time ?? null,
      });
    }
  }
  return [...runs.values()];
}

/**
 * The run a `setup log` argument names: none → the last run; `-N` → N runs back (-1 the last); else a run
 * id or a unique beginning of one (at least 4 characters). Returns the run, or why none matches.
 */
export function pickRun(
  runs: readonly PastRun[],
  which: string | undefined,
): PastRun | { problem: string; hint: string } {
  if (!runs.length) return { problem: 'the journal has no runs yet', hint: '`setup run RECIPE` records one' };
  const arg = (which ?? '-1').trim();
  if (/^-\d+$/.test(arg)) {
    const n = Number(arg.slice(1));
    if (n >= 1 && n <= runs.length) return runs[runs.length - n]!;
    return {
      problem: `there is no run ${arg}: the journal has ${runs.length} run${runs.length === 1 ? '' : 's'}`,
      hint: `give -1 (the last) to -${runs.length}, or a run id from \`setup log --json\``,
    };
  }
  const exact = runs.find((r) => r.id === arg);
  if (exact) return exact;
  const starting = runs.filter((r) => r.id.startsWith(arg));
  if (arg.length >= 4 && starting.length === 1) return starting[0]!;
  const hint = 'give more of the run id, or -N for the run N back (-1 the last)';
  if (starting.length > 1 || (starting.length && arg.length < 4))
    return {
      problem: `run id ${arg} is ${arg.length < 4 ? 'too short (4 characters at least)' : 'ambiguous'}: ${starting.length} run${starting.length === 1 ? ' starts' : 's start'} with it: ${candidates(starting)}`,
      hint,
    };
  return { problem: `no run ${arg} in the journal (the last: ${candidates(runs)})`, hint };
}

/** Runs as `id (started)`, newest first, the first few: what a wrong run id could have meant. */
function candidates(runs: readonly PastRun[], most = 3): string {
  const newest = [...runs].reverse();
  const shown = newest.slice(0, most).map((r) => {
    const when = r.started?.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
    return when ? `${r.id} (${when})` : r.id;
  });
  return `${shown.join(', ')}${newest.length > most ? ` and ${newest.length - most} more` : ''}`;
}

/**
 * The key a step's estimate is kept under: its recipe and its display name (its `name`, else what it does),
 * not its position — a step added or removed earlier in the recipe must not hand its time to another.
 */
export function durationKey(recipe: string, name: string): string {
  return `${recipe} › ${name}`;
}

/** The last duration of each step that ran to success, by `durationKey`: the estimate a long step shows. Pure. */
export function lastDurations(events: readonly JournalEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events)
    if (e.event === 'step-ok' && e.status === 'ok' && e.recipe && e.name && typeof e.durationMs === 'number')
      out.set(durationKey(e.recipe, e.name), e.durationMs);
  return out;
}
