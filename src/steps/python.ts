import fs from 'node:fs';
import path from 'node:path';
import type { StepEnv } from './types.js';
import { which } from '../util/which.js';

/** How long one interpreter call of a check may take before the answer is "could not tell". */
export const PYTHON_CALL_TIMEOUT_MS = 60_000;

/** `3.8`, `3.11`: a version to look up on the host (as opposed to an interpreter path or command). */
export const PY_VERSION = /^\d+\.\d+$/;

/** One interpreter call: prints its version, its real executable and whether it runs inside a venv. */
const PROBE = [
  'import sys',
  'print("%d.%d.%d" % tuple(sys.version_info[:3]))',
  'print(sys.executable)',
  'print(int(sys.prefix != getattr(sys, "base_prefix", sys.prefix)))',
].join('\n');

/** What an interpreter said about itself. */
export interface PythonInfo {
  /** `3.11.7` */
  version: string;
  /** `3.11` */
  minor: string;
  /** The real interpreter (a pyenv shim resolves to the version's own binary). */
  executable: string;
  inVenv: boolean;
}

/** `3.11.7` → `3.11`. */
export const majorMinor = (v: string): string => v.split('.').slice(0, 2).join('.');

/** Asks an interpreter for its version (one process, memoized per invocation); an Error says why it did not answer. */
export function probePython(exe: string, env: StepEnv): Promise<PythonInfo | Error> {
  return env.memo.get(`python:probe:${exe}`, async () => {
    const r = await env.runner.run({
      argv: [exe, '-B', '-c', PROBE],
      timeoutMs: PYTHON_CALL_TIMEOUT_MS,
      env: { PYTHONDONTWRITEBYTECODE: '1' },
    });
    if (r.spawnError) return new Error(r.spawnError);
    if (r.timedOut) return new Error(`${exe} did not answer in ${PYTHON_CALL_TIMEOUT_MS / 1000}s`);
    const [version, executable, venv] = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim());
    if (r.exitCode !== 0 || !version || !/^\d+\.\d+\.\d+$/.test(version)) {
      const why = lastLine(r.stderr || r.stdout);
      return new Error(`${exe} exited ${r.exitCode ?? r.signal}${why ? `: ${why}` : ''}`);
    }
    return { version, minor: majorMinor(version), executable: executable || exe, inVenv: venv === '1' };
  });
}

/** The last non-empty line of some output. */
export function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .pop()
      ?.trim() ?? ''
  );
}

/** Where an interpreter of a version may be, in the order tried; `places` says so in words. */
export function pythonCandidates(version: string, env: StepEnv): { paths: string[]; places: string[] } {
  const paths: string[] = [];
  const onPath = which(`python${version}`, env.processEnv.PATH ?? '');
  if (onPath) paths.push(onPath);
  const roots = [
    ...new Set([env.processEnv.PYENV_ROOT, path.join(env.paths.home, '.pyenv')].filter((r): r is string => !!r)),
  ];
  for (const root of roots) {
    const dir = path.join(root, 'versions');
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    // `3.1` must not pick `3.11.x`: the version is followed by a dot, a letter or nothing. Newest first.
    const matching = names.filter(
      (n) => n === version || (n.startsWith(version) && /^[.a-z]/i.test(n.slice(version.length))),
    );
    matching.sort((a, b) => compareVersionNames(b, a));
    for (const n of matching) {
      const exe = path.join(dir, n, 'bin', 'python');
      if (fs.existsSync(exe)) paths.push(exe);
    }
  }
  const system = `/usr/bin/python${version}`;
  if (fs.existsSync(system)) paths.push(system);
  const tilde = (p: string): string => (p.startsWith(env.paths.home + '/') ? '~' + p.slice(env.paths.home.length) : p);
  const places = [`python${version} on PATH`, ...roots.map((r) => `${tilde(r)}/versions/${version}*`), system];
  return { paths: [...new Set(paths)], places };
}

/** Orders `3.11.7` before `3.11.10` and a release after its pre-releases, for picking the newest. */
function compareVersionNames(a: string, b: string): number {
  const parts = (s: string): number[] => (s.match(/\d+/g) ?? []).map(Number);
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d) return d;
  }
  return a.localeCompare(b);
}

/**
 * Finds an interpreter of a version (`3.8`) on the host: `python3.8` on PATH, then pyenv's
 * `~/.pyenv/versions/3.8*` (newest first), then `/usr/bin/python3.8`. Each candidate is asked for its
 * version (a pyenv shim of a version that is not active does not run): the first that answers with
 * that major.minor wins. An Error names where it looked.
 */
export function findPython(version: string, env: StepEnv): Promise<PythonInfo | Error> {
  return env.memo.get(`python:find:${version}`, async () => {
    const { paths, places } = pythonCandidates(version, env);
    const tried: string[] = [];
    for (const exe of paths) {
      const info = await probePython(exe, env);
      if (!(info instanceof Error) && info.minor === version) return info;
      tried.push(info instanceof Error ? `${exe} does not run` : `${exe} is python ${info.version}`);
    }
    return new Error(
      `no python ${version} found (looked for ${places.join(', ')}${tried.length ? `; ${tried.join('; ')}` : ''})`,
    );
  });
}

/** The interpreter a `python:` key names, resolved without running it: a path, or a command on PATH. */
export function pythonPath(spec: string, env: StepEnv): string | undefined {
  if (spec.includes('/')) return spec;
  return which(spec, env.processEnv.PATH ?? '');
}

/** The python inside a venv folder. */
export const venvPython = (dir: string): string => path.join(dir, 'bin', 'python');

/** Reads a venv's `pyvenv.cfg` (`key = value` lines); undefined when there is none. */
export function readPyvenvCfg(dir: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'pyvenv.cfg'), 'utf8');
  } catch {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([^=#]+?)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]!.toLowerCase()] = m[2]!;
  }
  return out;
}

/** What a `python:` key asks for: a version to find, an interpreter path, or a command on PATH. */
export type PythonSpec = { version: string } | { path: string } | { command: string };

/** Reads a rendered `python:` value: `3.11` is a version, a value with a `/` or `~` a path, else a command. */
export function pythonSpec(value: string, toPath: (s: string) => string): PythonSpec {
  if (PY_VERSION.test(value)) return { version: value };
  if (value.includes('/') || value.startsWith('~')) return { path: toPath(value) };
  return { command: value };
}

/** How a python spec reads in plans and commands (no process is started). */
export function pythonLabel(spec: PythonSpec | undefined, env: StepEnv): string {
  if (!spec) return which('python3', env.processEnv.PATH ?? '') ?? 'python3';
  if ('version' in spec) return `python${spec.version}`;
  if ('path' in spec) return spec.path;
  return which(spec.command, env.processEnv.PATH ?? '') ?? spec.command;
}

/**
 * The interpreter a spec names on this host (the host's `python3` when none): a version is looked up
 * with `findPython` (its candidates are run), a path or command only has to exist. An Error says what is missing.
 */
export async function locatePython(
  spec: PythonSpec | undefined,
  env: StepEnv,
): Promise<{ exe: string; info?: PythonInfo } | Error> {
  if (spec && 'version' in spec) {
    const info = await findPython(spec.version, env);
    return info instanceof Error ? info : { exe: info.executable, info };
  }
  if (spec && 'path' in spec)
    return fs.existsSync(spec.path) ? { exe: spec.path } : new Error(`${spec.path} does not exist`);
  const command = spec?.command ?? 'python3';
  const exe = which(command, env.processEnv.PATH ?? '');
  return exe ? { exe } : new Error(`no ${command} on PATH`);
}

/**
 * The interpreter a python spec names, as one bash word for `setup export sh`: a path as it is, a command by
 * its name, a version as `pythonX.Y` (found on PATH where the script runs); none: python3.
 */
export function pythonShell(spec: PythonSpec | undefined, q: (s: string) => string): string {
  if (!spec) return 'python3';
  if ('path' in spec) return q(spec.path);
  if ('command' in spec) return q(spec.command);
  return q(`python${spec.version}`);
}
