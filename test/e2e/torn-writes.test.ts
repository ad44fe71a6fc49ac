import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, cliEnv, tempHome, writeRecipes } from './helpers.js';

/**
 * Issue 5, "user files": every file the tool writes is written atomically. The real CLI rewrites seven user
 * files on every run (the env file and the ~/.bashrc block through `env`, pip.conf, .condarc, a JSON file
 * and ~/.gitconfig through `config`, a ~1 MB file through `file`), alternating their content with
 * `--set gen=…`, and is killed with SIGKILL at a random moment, over and over. After every kill each file
 * must be exactly one complete version (the user's original, the A version or the B version) and parse;
 * each one-time backup must be absent or the whole content the file had before that run. Temp files a
 * kill leaves beside a user's file are counted (they show the kill landed mid-write) and cleared, and a
 * final uninterrupted run must leave none of its own.
 *
 * Every run gets a fresh state folder (XDG_STATE_HOME): a killed run's lock only goes stale after
 * seconds (the lock test covers that), and a fresh state makes every run take its one-time backups, so
 * kills also land while a backup is being copied.
 */

const GEN = { A: 'a'.repeat(20) + '-one', B: 'b'.repeat(30) + '-two' } as const;
type Gen = keyof typeof GEN;
/** The big file: 11,200 lines, each `<gen> yyy…`, so old and new differ on every line (~1 MB). */
const BIG_LINES = 11_200;

function recipe(): string {
  // Lines through a variable keep the recipe small (~150 kB: cheap to load on each of hundreds of runs).
  const big: string[] = [];
  for (let i = 0; i < BIG_LINES / 16; i++) big.push(`        ${'{{ line }}'.repeat(15)}{{ gen }} ${'y'.repeat(60)}`);
  return `name: torn
description: rewrites several user files on every run
vars:
  gen: x
  line: "{{ gen }} ${'y'.repeat(60)}\\n"
steps:
  - name: env
    env: { set: { EK_GEN: "{{ gen }}", EK_MORE: "more {{ gen }}" } }
  - name: pip
    config: { path: ~/.config/pip/pip.conf, set: { global.index-url: "https://{{ gen }}.example/simple", install.trusted-host: "{{ gen }}.example" } }
  - name: conda
    config: { path: ~/.condarc, set: { channels: ["{{ gen }}-main", "{{ gen }}-forge"], show_channel_urls: true } }
  - name: json
    config: { path: ~/.config/app/settings.json, set: { app.gen: "{{ gen }}", app.list: ["{{ gen }}", "{{ gen }}"] } }
  - name: git
    config: { path: ~/.gitconfig, set: { envkit.gen: "{{ gen }}" } }
  - name: big
    file:
      path: ~/big.txt
      content: |
${big.join('\n')}
`;
}
const STEPS = 6;

/** The user files, relative to HOME, with how each must parse. */
const FILES = {
  env: '.config/envkit/env.sh',
  bashrc: '.bashrc',
  pip: '.config/pip/pip.conf',
  conda: '.condarc',
  json: '.config/app/settings.json',
  git: '.gitconfig',
  big: 'big.txt',
} as const;
type FileId = keyof typeof FILES;
const IDS = Object.keys(FILES) as FileId[];

/** The user's own files before envkit touches them (the env file does not exist yet). */
const ORIGINALS: Partial<Record<FileId, string>> = {
  bashrc: "# my bashrc\nalias ll='ls -l'\n",
  pip: '# mine\n[global]\ntimeout = 60\n\n[install]\nno-compile = true\n',
  conda: '# my conda settings\nchannels:\n  - defaults\nssl_verify: true\n',
  json: JSON.stringify({ user: { theme: 'dark' }, app: { keep: 1 } }, null, 2) + '\n',
  git: '[user]\n\tname = Someone\n\temail = someone@example.com\n',
  big: 'o'.repeat(900_000) + '\n',
};

/** A strict reading of INI: every line is blank, a comment, a section, a key = value, or a continuation. */
function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const line of text.split('\n')) {
    if (/^\s*([#;].*)?$/.test(line)) continue;
    const s = /^\[([^\]]+)\]\s*$/.exec(line);
    if (s) {
      section = s[1]!;
      out[section] ??= {};
      continue;
    }
    const kv = /^([^\s=:#;[][^=:]*?)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`not INI: ${JSON.stringify(line)}`);
    out[section]![kv[1]!] = kv[2]!;
  }
  return out;
}

/** Parses one file the way its format requires; throws when it does not parse. */
function parseFile(id: FileId, text: string): void {
  if (text === '') throw new Error('empty');
  if (id === 'pip' || id === 'git') parseIni(text.replace(/^\t/gm, ''));
  else if (id === 'conda') {
    const v = parseYaml(text, { uniqueKeys: true }) as { channels?: unknown };
    if (!v || !Array.isArray(v.channels)) throw new Error('no channels list');
  } else if (id === 'json') JSON.parse(text);
}

const read = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

/** Processes still carrying this run's mark in their environment (a `git config` orphaned by the kill). */
function marked(mark: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`\0TORN_MARK=${mark}\0`)) found.push(Number(pid));
    } catch {
      /* gone, or not ours */
    }
  }
  return found;
}

async function waitForOrphans(mark: string): Promise<void> {
  for (let i = 0; i < 200 && marked(mark).length; i++) await new Promise((ok) => setTimeout(ok, 10));
  expect(marked(mark), 'processes of a killed run still running').toEqual([]);
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms from spawn to the first step's progress line (`[1/N]`), and to exit. */
  marker?: number;
  /** N: how many steps the run set out to run. */
  planned?: number;
  total: number;
  stderr: string;
}

/** Runs the CLI; kills it with SIGKILL `killAfter` ms after spawn or after the first step starts. */
function runOnce(
  home: string,
  recipes: string,
  gen: Gen,
  env: Record<string, string>,
  kill?: { from: 'spawn' | 'steps'; ms: number },
): Promise<Outcome> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, '--recipes', recipes, 'run', 'torn', '--set', `gen=${GEN[gen]}`], {
    env: cliEnv(home, env),
    cwd: home,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let marker: number | undefined;
  let planned: number | undefined;
  const fire = (): void => void setTimeout(() => child.kill('SIGKILL'), kill!.ms);
  if (kill?.from === 'spawn') fire();
  child.stdout.resume();
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const m = marker === undefined ? /\[1\/(\d+)\]/.exec(stderr) : null;
    if (m) {
      marker = performance.now() - t0;
      planned = Number(m[1]);
      if (kill?.from === 'steps') fire();
    }
  });
  return new Promise((resolve) =>
    child.on('exit', (code, signal) =>
      resolve({ code, signal, marker, planned, total: performance.now() - t0, stderr }),
    ),
  );
}

/** Names a temp file of envkit's beside `base` (`.envkit-tmp-<16 hex>-<name>`). */
const isTempOf = (entry: string, base: string): boolean =>
  /^\.envkit-tmp-[0-9a-f]{16}-/.test(entry) && entry.slice(29) === base;

interface Stats {
  kills: number;
  finished: number;
  checks: number;
  torn: string[];
  midWrite: number;
  midBackup: number;
  gitLocks: number;
  phases: { startup: number; steps: number; after: number };
  mixed: number;
}

function writeOriginals(home: string): void {
  for (const id of IDS) {
    const text = ORIGINALS[id];
    if (text === undefined) continue;
    fs.mkdirSync(path.dirname(path.join(home, FILES[id])), { recursive: true });
    fs.writeFileSync(path.join(home, FILES[id]), text);
  }
}

const snapshot = (home: string): Record<FileId, string | undefined> =>
  Object.fromEntries(IDS.map((id) => [id, read(path.join(home, FILES[id]))])) as Record<FileId, string | undefined>;

describe('SIGKILL at random moments never tears a user file', () => {
  const WORKERS = 4;

  it('every file is whole (old or new) after each of 200+ kills; backups whole; no temp files after a clean run', async () => {
    const root = tempHome('envkit-torn-');
    const recipes = writeRecipes(path.join(root, 'recipes'), { 'torn.yaml': recipe() });

    // Calibration: three uninterrupted runs (B, A, B) give the two complete versions of every file, prove
    // the merges do not depend on history (B after A equals B after the original), and time a run.
    const calib = path.join(root, 'calib');
    fs.mkdirSync(calib);
    writeOriginals(calib);
    const seen: Record<FileId, string | undefined>[] = [];
    const timing: Outcome[] = [];
    for (const gen of ['B', 'A', 'B'] as Gen[]) {
      const r = await runOnce(calib, recipes, gen, { XDG_STATE_HOME: fs.mkdtempSync(path.join(root, 'state-')) });
      expect(r.code, r.stderr).toBe(0);
      timing.push(r);
      seen.push(snapshot(calib));
    }
    expect(seen[2]).toEqual(seen[0]);
    const versionsIn = (home: string): Record<FileId, Record<string, string>> =>
      Object.fromEntries(
        IDS.map((id) => {
          const v: Record<string, string> = {
            A: seen[1]![id]!.split(calib).join(home),
            B: seen[2]![id]!.split(calib).join(home),
          };
          if (ORIGINALS[id] !== undefined) v.original = ORIGINALS[id]!;
          if (id === 'bashrc') delete v.B; // the rc block does not depend on gen
          return [id, v];
        }),
      ) as Record<FileId, Record<string, string>>;
    for (const id of IDS) {
      expect(seen[1]![id], id).toBeDefined();
      parseFile(id, seen[1]![id]!);
      parseFile(id, seen[2]![id]!);
      if (id !== 'bashrc') expect(seen[1]![id], `${id} differs between A and B`).not.toBe(seen[2]![id]);
    }
    expect(seen[1]!.big).toBe(`${GEN.A} ${'y'.repeat(60)}\n`.repeat(BIG_LINES));
    expect(seen[2]!.big!.length).toBeGreaterThan(1_000_000);
    // Under load a run is slower: each worker keeps estimates of a whole run and of its steps, learnt from
    // the runs that finished before their kill, so most kills land while the steps write.
    const load = WORKERS / 2;
    const calTotal = (load * timing.reduce((n, t) => n + t.total, 0)) / timing.length;
    const calSteps = (load * timing.reduce((n, t) => n + t.total - (t.marker ?? 0), 0)) / timing.length;

    const stats: Stats = {
      kills: 0,
      finished: 0,
      checks: 0,
      torn: [],
      midWrite: 0,
      midBackup: 0,
      gitLocks: 0,
      phases: { startup: 0, steps: 0, after: 0 },
      mixed: 0,
    };
    const KILLS_EACH = 52;
    let seed = 0x7047;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };

    const worker = async (w: number): Promise<void> => {
      const home = path.join(root, `home-${w}`);
      fs.mkdirSync(home);
      writeOriginals(home);
      const versions = versionsIn(home);
      const dirs = [...new Set(IDS.map((id) => path.dirname(path.join(home, FILES[id]))))];
      const known = new Set(IDS.map((id) => path.join(home, FILES[id])));
      let before = snapshot(home);
      let estTotal = calTotal;
      let estSteps = calSteps;
      let iter = 0;
      let kills = 0;
      while (kills < KILLS_EACH) {
        iter++;
        if (iter > KILLS_EACH * 3)
          throw new Error(
            `too few kills landed (${kills} in ${iter - 1} runs): is the progress line [1/N] still on stderr?`,
          );
        // Now and then the user's rc loses the block again, so the rc write is killed too.
        if (iter % 5 === 0) {
          fs.writeFileSync(path.join(home, FILES.bashrc), ORIGINALS.bashrc!);
          before = snapshot(home);
        }
        // The other version than the last file holds, so the run has writes to do (a kill may have left
        // the files mixed: then the earlier ones already hold it).
        const gen: Gen = before.big === versions.big.A ? 'B' : 'A';
        const state = fs.mkdtempSync(path.join(root, `state-${w}-`));
        const mark = `${w}-${iter}`;
        // A fifth of the kills anywhere in the run, the rest while the steps write.
        const kill =
          rand() < 0.2
            ? { from: 'spawn' as const, ms: rand() * estTotal }
            : { from: 'steps' as const, ms: rand() * estSteps };
        const r = await runOnce(home, recipes, gen, { XDG_STATE_HOME: state, TORN_MARK: mark }, kill);
        await waitForOrphans(mark);
        if (r.signal === 'SIGKILL') {
          kills++;
          stats.kills++;
        } else {
          expect(r.code, r.stderr).toBe(0);
          stats.finished++;
          if (r.marker !== undefined) {
            estTotal = 0.7 * estTotal + 0.3 * r.total;
            estSteps = 0.7 * estSteps + 0.3 * (r.total - r.marker);
          }
        }

        // Every user file: one whole version, and it parses.
        const now = snapshot(home);
        const which = new Set<string>();
        for (const id of IDS) {
          stats.checks++;
          const text = now[id];
          const v = Object.entries(versions[id]).find(([, t]) => t === text)?.[0];
          if (text === undefined && before[id] === undefined) continue; // not written yet (the env file)
          if (!v) {
            stats.torn.push(
              `${id} after kill ${mark}: ${text === undefined ? 'missing' : `${text.length} bytes: ${JSON.stringify(text.slice(0, 80))}`}`,
            );
            continue;
          }
          if (id !== 'bashrc' && v !== 'original') which.add(v);
          parseFile(id, text!);
        }
        if (which.size > 1) stats.mixed++; // some files new, some old: fine, each is whole

        // Every backup this run took: the whole content the file had before the run.
        let inBackup = false;
        for (const id of IDS) {
          const file = path.join(home, FILES[id]);
          const backup = read(path.join(state, 'envkit', 'backups', file));
          if (backup !== undefined && backup !== before[id])
            stats.torn.push(`backup of ${id} after kill ${mark}: ${backup.length} bytes, wanted ${before[id]?.length}`);
          const bdir = path.dirname(path.join(state, 'envkit', 'backups', file));
          if (fs.existsSync(bdir) && fs.readdirSync(bdir).some((e) => isTempOf(e, path.basename(file))))
            inBackup = true;
        }
        if (inBackup) stats.midBackup++;

        // Leftovers beside the user's files: temp files of a write the kill interrupted; nothing else.
        let temp = false;
        for (const d of dirs) {
          for (const e of fs.existsSync(d) ? fs.readdirSync(d) : []) {
            const p = path.join(d, e);
            if (known.has(p) || fs.statSync(p).isDirectory()) continue;
            const owner = [...known].find((k) => path.dirname(k) === d && isTempOf(e, path.basename(k)));
            if (owner) temp = true;
            else if (e === '.gitconfig.lock') stats.gitLocks++;
            else throw new Error(`unexpected file beside the user's files after kill ${mark}: ${p}`);
            fs.rmSync(p);
          }
        }
        if (temp) stats.midWrite++;

        // Where the kill landed, from the run's log (written synchronously, step by step).
        if (r.signal === 'SIGKILL') {
          const logs = path.join(state, 'envkit', 'logs');
          const log = fs.existsSync(logs)
            ? fs
                .readdirSync(logs)
                .filter((f) => f.endsWith('.log') && f !== 'latest.log')
                .map((f) => fs.readFileSync(path.join(logs, f), 'utf8'))
                .join('')
            : '';
          const started = (log.match(/^==> /gm) ?? []).length;
          const done = (log.match(/^<== ok/gm) ?? []).length;
          stats.phases[started === 0 ? 'startup' : done < (r.planned ?? STEPS) ? 'steps' : 'after']++;
        }
        fs.rmSync(state, { recursive: true, force: true });
        before = now;
      }

      // One clean run: every file at its A version, and no file of its own left beside them.
      const listing = (): string[] => dirs.flatMap((d) => fs.readdirSync(d).map((e) => path.join(d, e))).sort();
      const beforeClean = listing();
      const state = fs.mkdtempSync(path.join(root, `state-${w}-`));
      const last = await runOnce(home, recipes, 'B', { XDG_STATE_HOME: state });
      expect(last.code, last.stderr).toBe(0);
      const clean = await runOnce(home, recipes, 'A', { XDG_STATE_HOME: state });
      expect(clean.code, clean.stderr).toBe(0);
      expect(listing()).toEqual(beforeClean);
      const end = snapshot(home);
      for (const id of IDS) expect(end[id], id).toBe(versions[id].A);
    };

    const t0 = performance.now();
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `torn writes: ${stats.kills} SIGKILLs (${stats.finished} runs finished before their kill) in ${secs}s; ` +
        `kills landed: ${stats.phases.startup} before any step, ${stats.phases.steps} while steps ran, ${stats.phases.after} after the last write; ` +
        `${stats.midWrite} caught a user-file write in flight (temp file left), ${stats.midBackup} a backup copy in flight, ${stats.gitLocks} left .gitconfig.lock; ` +
        `${stats.mixed} left some files old and others new; ${stats.checks} file checks, ${stats.torn.length} torn`,
    );
    expect(stats.torn).toEqual([]);
    expect(stats.kills).toBeGreaterThanOrEqual(200);
    fs.rmSync(root, { recursive: true, force: true });
  }, 360_000);

  it('a one-time backup cut short by a kill is never left torn (it would never be taken again)', async () => {
    // Straight through safeWrite, on a file big enough (16 MB) that the kill lands inside the backup copy.
    const root = tempHome('envkit-torn-backup-');
    const script = path.join(root, 'write.mjs');
    fs.writeFileSync(
      script,
      `import { safeWrite } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'util', 'safe-write.js')).href)};\n` +
        `process.stdout.write('ready\\n');\nawait safeWrite(process.argv[2], 'new\\n', { backupDir: process.argv[3] });\n`,
    );
    const original = Buffer.alloc(16 << 20, 'original user data\n');
    const once = async (
      killMs?: number,
    ): Promise<{ file: string; backups: string; signal: NodeJS.Signals | null; ms: number }> => {
      const dir = fs.mkdtempSync(path.join(root, 'try-'));
      const file = path.join(dir, 'user.conf');
      fs.writeFileSync(file, original, { mode: 0o600 });
      const backups = path.join(dir, 'backups');
      const child = spawn(process.execPath, [script, file, backups], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exit = new Promise<NodeJS.Signals | null>((ok) => child.on('exit', (_c, sig) => ok(sig)));
      await new Promise((ok) => child.stdout.once('data', ok));
      const t0 = performance.now();
      if (killMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killMs);
      const signal = await exit;
      return { file, backups, signal, ms: performance.now() - t0 };
    };
    // The median of three whole runs: on a loaded machine one run alone can be twice as slow as the next.
    const fulls = [await once(), await once(), await once()];
    for (const f of fulls) expect(f.signal).toBeNull();
    let est = fulls.map((f) => f.ms).sort((a, b) => a - b)[1]!;
    let kills = 0;
    let midBackup = 0;
    // Until 15 kills landed (a run faster than the median finishes before its kill), at most 30 tries.
    for (let i = 0; kills < 15 && i < 30; i++) {
      const r = await once(((kills + Math.random()) / 15) * est * 0.95);
      if (r.signal === 'SIGKILL') kills++;
      else est = 0.5 * est + 0.5 * r.ms; // it finished first: the disk got faster, aim earlier
      const now = fs.readFileSync(r.file);
      const backupFile = path.join(r.backups, r.file);
      const backup = fs.existsSync(backupFile) ? fs.readFileSync(backupFile) : undefined;
      const bdir = path.dirname(backupFile);
      if (fs.existsSync(bdir) && fs.readdirSync(bdir).some((e) => isTempOf(e, 'user.conf'))) midBackup++;
      const isNew = now.toString() === 'new\n';
      expect(isNew || now.equals(original), `user file torn at try ${i}: ${now.length} bytes`).toBe(true);
      // The backup comes first: once the file is new the backup is whole; before that it is whole or absent.
      if (isNew || backup) {
        expect(backup?.equals(original), `backup torn at try ${i}: ${backup?.length} bytes`).toBe(true);
        expect(fs.statSync(backupFile).mode & 0o777).toBe(0o600);
      }
    }
    console.log(
      `backup kills: ${kills} SIGKILLs during a 16 MB safeWrite, ${midBackup} inside the backup copy; 0 torn`,
    );
    expect(kills).toBeGreaterThanOrEqual(10);
    fs.rmSync(root, { recursive: true, force: true });
  }, 120_000);
});
