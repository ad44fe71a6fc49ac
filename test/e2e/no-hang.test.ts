import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, tempHome, writeRecipes } from './helpers.js';

/** Pids of running processes (not zombies) whose command line holds `mark`. */
function survivors(mark: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.split(') ')[1]![0] === 'Z') continue;
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(mark)) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** A shell snippet that runs `sleep 40` named `mark` (so /proc finds it), optionally ignoring SIGTERM. */
const sleeper = (mark: string, ignoreTerm = false): string =>
  `bash -c "${ignoreTerm ? "trap '' TERM; " : ''}exec -a ${mark} sleep 40"`;

interface Case {
  name: string;
  run: (m: string) => string;
  timeout?: string;
  /**
   * The step must be over within this many seconds: its main process ends at once (or at its timeout),
   * plus the CLI's own start on a loaded machine; the children it leaves would last 40 s.
   */
  within: number;
  code: number;
}

const CASES: Case[] = [
  {
    name: 'a background child in a subshell: (sleep 40 &)',
    run: (m) => `(${sleeper(m)} &); echo started`,
    within: 10,
    code: 0,
  },
  {
    name: 'setsid -f: a child in its own session',
    run: (m) => `setsid -f ${sleeper(m)}; echo started`,
    within: 10,
    code: 0,
  },
  { name: 'nohup … &', run: (m) => `nohup ${sleeper(m)} >/dev/null 2>&1 & echo started`, within: 10, code: 0 },
  {
    name: 'a double fork into a new session',
    run: (m) => `( ( setsid ${sleeper(m)} & ) & ); echo started`,
    within: 10,
    code: 0,
  },
  {
    name: 'a setsid child that ignores SIGTERM (killed after the 3 s grace)',
    run: (m) => `setsid -f ${sleeper(m, true)}; echo started`,
    within: 13,
    code: 0,
  },
  {
    name: 'timeout: a setsid child and a foreground sleep',
    run: (m) => `setsid -f ${sleeper(m)}; ${sleeper(m)}`,
    timeout: '2s',
    within: 2 + 10,
    code: 1,
  },
  // A step that is one process: bash execs its last (here only) command, so the group leader is the sleep itself.
  {
    name: 'timeout: a step that is one process (bash execs it)',
    run: (m) => sleeper(m),
    timeout: '2s',
    within: 2 + 10,
    code: 1,
  },
  {
    name: 'timeout: one process that ignores SIGTERM',
    run: (m) => `trap '' TERM; ${sleeper(m, true)}`,
    timeout: '2s',
    within: 2 + 13,
    code: 1,
  },
  {
    name: 'timeout: every process ignores SIGTERM',
    run: (m) => `trap '' TERM; setsid -f ${sleeper(m, true)}; (${sleeper(m, true)} &); ${sleeper(m, true)}`,
    timeout: '2s',
    within: 2 + 13,
    code: 1,
  },
];

describe('nothing hangs: a step ends with its main process (or its timeout), and nothing it started survives', () => {
  it.each(CASES)(
    '$name',
    async (c) => {
      const home = tempHome();
      const mark = `envkit-hang-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
      const step = `  - name: leaves a child\n    run: ${JSON.stringify(c.run(mark))}\n${c.timeout ? `    timeout: ${c.timeout}\n` : ''}`;
      const recipes = writeRecipes(path.join(home, 'recipes'), {
        'bg.yaml': `name: bg\ndescription: leaves a child\nsteps:\n${step}`,
      });
      const t0 = performance.now();
      const res = await runCli(['--recipes', recipes, 'run', 'bg'], home);
      const seconds = (performance.now() - t0) / 1000;
      console.log(`${c.name}: setup run took ${seconds.toFixed(2)} s (bound ${c.within} s), exit ${res.code}`);
      expect(res.code, res.stderr).toBe(c.code);
      if (c.timeout) expect(res.stderr).toContain('timed out after');
      expect(seconds).toBeLessThan(c.within);
      expect(survivors(mark), 'a descendant of the step survived it').toEqual([]);
    },
    30_000,
  );
});

describe('the watchdog stops what left the group too', () => {
  it('a SIGKILL of setup while a step runs: its setsid child is stopped by the watchdog', async () => {
    const home = tempHome();
    const mark = `envkit-hang-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const run = `setsid -f ${sleeper(mark)}; sleep 60`;
    const recipes = writeRecipes(path.join(home, 'recipes'), {
      'bg.yaml': `name: bg\ndescription: d\nsteps:\n  - run: ${JSON.stringify(run)}\n`,
    });
    const p = startCli(['--recipes', recipes, 'run', 'bg'], home);
    // Until the detached sleep runs alone: `setsid -f` and its fork hold the mark too for a moment.
    const comm = (pid: number): string => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        return 'gone';
      }
    };
    const running = (): string[] => survivors(mark).map(comm);
    // A busy machine starts the CLI slowly: up to 40 s for the step to get there.
    for (let i = 0; i < 800 && running().join() !== 'sleep'; i++) await new Promise((ok) => setTimeout(ok, 50));
    expect(running()).toEqual(['sleep']);
    p.kill('SIGKILL');
    await new Promise((ok) => p.on('exit', ok));
    for (let i = 0; i < 100 && survivors(mark).length; i++) await new Promise((ok) => setTimeout(ok, 50));
    expect(survivors(mark)).toEqual([]);
  }, 90_000);
});
