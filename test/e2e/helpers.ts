import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The repository root and the built CLI (npm test builds it first). */
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'setup');

/** A fresh HOME (and so fresh XDG folders): the CLI touches nothing outside it. */
export function tempHome(prefix = 'envkit-e2e-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes recipe files (name → YAML text) into a folder and returns it. */
export function writeRecipes(dir: string, files: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `setup …` with HOME set, no colour, and no XDG variables inherited. */
export function runCli(args: string[], home: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runProgram(process.execPath, [BIN, ...args], { env: cliEnv(home, env), cwd: home });
}

/** Runs a program to its end (the built CLI, the single-file setup): its exit code or signal, and its output. */
export function runProgram(
  file: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, args, { ...opts, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        signal: e?.signal ?? null,
        stdout,
        stderr,
      });
    });
  });
}

/** Starts `setup …` without waiting (for signal tests). */
export function startCli(args: string[], home: string, env: Record<string, string> = {}) {
  return spawn(process.execPath, [BIN, ...args], {
    env: cliEnv(home, env),
    cwd: home,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function cliEnv(home: string, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(base))
    if (k.startsWith('XDG_') || k === 'FORCE_COLOR' || k.startsWith('VITEST') || k === 'NODE_OPTIONS') delete base[k];
  return { ...base, HOME: home, NO_COLOR: '1', ...env };
}

/** Every file under a folder with its size, mode, mtime and content hash: to prove nothing changed. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      if (e.isDirectory()) {
        out[p + '/'] = `dir ${st.mode.toString(8)}`;
        walk(p);
      } else
        out[p] =
          `${st.size} ${st.mode.toString(8)} ${st.mtimeMs} ${e.isFile() ? fs.readFileSync(p, 'utf8') : fs.readlinkSync(p)}`;
    }
  };
  walk(dir);
  return out;
}

/** Replaces the temp HOME with `~` and run-specific numbers, for golden files. */
export function normalize(text: string, home: string): string {
  return text
    .split(home)
    .join('~')
    .split(ROOT)
    .join('<repo>')
    .replace(/\d{8}-\d{6}-[\w+-]*-\d+\.log/g, '<log>')
    .replace(/\(\d+(\.\d+)?m?s\)/g, '(<time>)')
    .replace(/in \d+(\.\d+)?m?s\./g, 'in <time>.');
}
