import type { PlannedStep } from '../plan/plan.js';
import type { Reporter, RunSummary, StepResult } from '../run/execute.js';
import { formatDuration, MAX_DURATION_MS } from '../util/duration.js';
import { redact } from '../util/redact.js';
import { durationKey } from '../run/history.js';
import { clipLine, sanitize } from '../util/terminal.js';
import { stepTitle } from './plan-view.js';
import { tilde, type Output } from './output.js';

const label = (s: PlannedStep): string => `${s.step.recipe} › ${stepTitle(s)}`;

/** Last durations under this are not worth an estimate. */
const ESTIMATE_MIN_MS = 1000;

/** ` (last time 12m12s)`: the step's last duration from the journal, as an estimate; '' when none worth saying. */
export function lastTime(estimates: ReadonlyMap<string, number>, s: PlannedStep): string {
  const ms = estimates.get(durationKey(s.step.recipe, s.step.name || s.action.summary));
  return ms !== undefined && ms >= ESTIMATE_MIN_MS ? ` (last time ${formatDuration(ms)})` : '';
}

/** Seconds between heartbeat lines of a long step without a TTY (ENVKIT_HEARTBEAT_SECONDS overrides; 30 by default). */
function heartbeatMs(): number {
  const s = Number(process.env.ENVKIT_HEARTBEAT_SECONDS);
  // Capped like any duration: past Node's timer range an interval would fire every millisecond.
  return Number.isFinite(s) && s > 0 ? Math.min(s * 1000, MAX_DURATION_MS) : 30_000;
}

/**
 * Plain lines, for logs and pipes: no cursor movement, no spinner. With -v, every output line too. A step
 * that runs long prints a heartbeat — elapsed time and its latest output line — so a 12-minute build in CI
 * or under nohup is visibly alive.
 */
export function plainReporter(o: Output, estimates: ReadonlyMap<string, number> = new Map()): Reporter {
  let total = 0;
  let estimate = '';
  let n = 0;
  let partial = '';
  let latest = '';
  let started = 0;
  let beat: NodeJS.Timeout | undefined;
  const stopBeat = (): void => {
    if (beat) clearInterval(beat);
    beat = undefined;
  };
  return {
    start(steps) {
      total = steps.length;
    },
    stepStart(s) {
      n++;
      latest = '';
      started = performance.now();
      estimate = lastTime(estimates, s);
      if (o.quiet) return;
      o.err(`[${n}/${Math.max(n, total)}] ${tilde(o, label(s))} …${o.c.dim(estimate)}`);
      stopBeat();
      beat = setInterval(() => {
        const line = clipLine(redact(tilde(o, latest)).trim(), 160);
        o.err(o.c.dim(`  … ${formatDuration(performance.now() - started)}${estimate}${line ? `: ${line}` : ''}`));
      }, heartbeatMs());
      beat.unref();
    },
    stepOutput(_s, line) {
      latest = line;
      if (o.verbose && line !== partial) {
        partial = line;
        o.err(o.c.dim(`  │ ${clipLine(line)}`));
      }
    },
    stepEnd(s, r) {
      stopBeat();
      if (o.quiet) return;
      const ok = r.status === 'ok' || r.status === 'already';
      const what = r.status === 'already' ? 'already satisfied ' : r.status === 'ok' ? `${r.message} ` : ''; // failures get the full report next
      o.err(
        `${ok ? o.c.green('✓') : o.c.red('✗')} ${tilde(o, label(s))} ${o.c.dim(`${what}(${formatDuration(r.durationMs)})`)}`,
      );
    },
    end() {
      stopBeat();
    },
  };
}

/** listr2 progress on a TTY: a spinner per step, its latest output line, elapsed time. */
export async function listrReporter(o: Output, estimates: ReadonlyMap<string, number> = new Map()): Promise<Reporter> {
  const { Listr, PRESET_TIMER } = await import('listr2');
  type Deferred = {
    resolve: () => void;
    reject: (e: Error) => void;
    promise: Promise<void>;
    output: (l: string) => void;
    title: (t: string) => void;
  };
  const deferred = new Map<string, Deferred>();
  let running: Promise<unknown> | undefined;
  const make = (): Deferred => {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((a, b) => ((resolve = a), (reject = b)));
    promise.catch(() => undefined); // steps never reached are rejected at the end, unobserved
    return { resolve, reject, promise, output: () => {}, title: () => {} };
  };
  return {
    start(steps) {
      const list = new Listr(
        steps.map((s) => {
          const d = make();
          deferred.set(s.step.id, d);
          return {
            title: sanitize(`${tilde(o, label(s))}${o.c.dim(lastTime(estimates, s))}`, { keepColour: true }),
            task: async (_: unknown, task: { output: string; title: string }) => {
              d.output = (l) => (task.output = l);
              d.title = (t) => (task.title = t);
              await d.promise;
            },
            rendererOptions: { outputBar: 1, persistentOutput: false },
          };
        }),
        {
          concurrent: false,
          exitOnError: true,
          registerSignalListeners: false,
          rendererOptions: { timer: PRESET_TIMER, collapseErrors: false },
        } as never,
      );
      running = list.run().catch(() => undefined);
    },
    stepStart() {},
    stepOutput(s, line) {
      deferred.get(s.step.id)?.output(sanitize(clipLine(redact(tilde(o, line)), 200)));
    },
    stepEnd(s, r: StepResult) {
      const d = deferred.get(s.step.id);
      if (!d) return;
      if (r.status === 'ok' || r.status === 'already') {
        if (r.status === 'already')
          d.title(sanitize(`${tilde(o, label(s))} ${o.c.dim('(already satisfied)')}`, { keepColour: true }));
        d.resolve();
      } else d.reject(new Error(sanitize(r.message)));
    },
    async end(_summary: RunSummary) {
      // Steps never started (after a failure) stay pending in listr: settle them so it finishes.
      for (const d of deferred.values()) d.reject(new Error('not run'));
      await running;
    },
  };
}
