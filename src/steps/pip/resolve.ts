import { mapLimit } from '../../util/limit.js';
import { unreachable, shownUrl } from '../../util/reach.js';
import { which } from '../../util/which.js';
import { locatePython, venvPython } from '../python.js';
import type { StepEnv } from '../types.js';
import { askedIndexes, indexOptions, installArgv, sourceArgs, type PipConfig } from './command.js';
import { ownIndexes } from './own-index.js';
import { evaluateSpecs } from './evaluate.js';
import { resolutionHint } from './hints.js';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** What the plan learns by asking pip to resolve a pending step without installing anything. */
export type Preview =
  | { kind: 'install'; install: { name: string; version: string }[] }
  | { kind: 'unresolvable'; reason: string; lines: string[] }
  | { kind: 'unknown'; reason: string };

/** A pin the index cannot serve: the spec, the versions it has (newest first), the `--set` that picks one. */
export interface MissingPin {
  spec: string;
  name: string;
  /** The pinned version, for a `name==version` spec. */
  version?: string;
  versions: string[];
  set?: string;
}

const RESOLVE_TIMEOUT_MS = 180_000;
/** `name==version` (a pin), or a name with any other or no specifier (then only its existence is asked). */
const PIN = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:===?\s*([^\s;,]+)\s*)?(?:[<>=!~][^;]*)?(?:;.*)?$/;

/**
 * `pip install --dry-run --report -` for a pending step: the versions it would install, or — when pip
 * cannot resolve — every pinned version the index lacks (one `pip index versions` per pin, concurrently),
 * not just the first pip stops at. A venv that does not exist yet is resolved as a fresh one would be:
 * with the host's python3 and `--ignore-installed`. Installs nothing.
 */
export async function previewPip(
  c: PipConfig,
  recipe: string,
  env: StepEnv,
  stepEnv: Record<string, string>,
): Promise<Preview> {
  let exe: string | undefined;
  let fresh = false;
  if (c.venv) {
    exe = venvPython(c.venv);
    if (!existsSync(exe)) {
      exe = which('python3', env.processEnv.PATH);
      fresh = true;
    }
  } else {
    const found = await locatePython(c.python, env);
    exe = found instanceof Error ? undefined : found.exe;
  }
  if (!exe) return { kind: 'unknown', reason: 'no python to resolve with' };
  // An index that does not answer would keep pip retrying for minutes: ask each once, briefly, first.
  const o = indexOptions(c, env.profile);
  const deadOf = async (urls: string[]): Promise<Preview | undefined> => {
    for (const url of urls) {
      const why = await unreachable(url, { timeoutMs: o.timeout * 1000, env: env.processEnv });
      if (why) return { kind: 'unknown', reason: `the index ${shownUrl(url)} did not answer (${why})` };
    }
    return undefined;
  };
  // Setup's own indexes first (no process to start), then those of pip's config; where neither names an
  // index, pip asks its built-in one.
  const mine = askedIndexes(o);
  const dead = await deadOf(mine);
  if (dead) return dead;
  const own = await ownIndexes(exe, env, stepEnv);
  const index = o.indexUrl ?? own.indexUrl ?? DEFAULT_INDEX;
  const deadOwn = await deadOf([...new Set([index, ...askedIndexes(o, own)])].filter((u) => !mine.includes(u)));
  if (deadOwn) return deadOwn;
  // The report goes to a temporary file (outside HOME, removed after): pip's own words stay on stdout/stderr,
  // where "The conflict is caused by" is the line that explains a conflict.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'envkit-pip-report-'));
  const reportFile = path.join(dir, 'report.json');
  const argv = installArgv(c, exe, env.profile, [
    '--dry-run',
    '--report',
    reportFile,
    ...(fresh ? ['--ignore-installed'] : []),
  ]);
  // Nothing is installed by a dry run: an externally managed python may answer it too.
  const runEnv = { ...stepEnv, PIP_BREAK_SYSTEM_PACKAGES: '1', PYTHONDONTWRITEBYTECODE: '1' };
  let r: Awaited<ReturnType<StepEnv['runner']['run']>>;
  let report: string | undefined;
  try {
    r = await env.runner.run({ argv, env: runEnv, cwd: env.paths.home, timeoutMs: RESOLVE_TIMEOUT_MS });
    report = await fs.readFile(reportFile, 'utf8').catch(() => undefined);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  if (r.spawnError) return { kind: 'unknown', reason: r.spawnError };
  if (r.timedOut) return { kind: 'unknown', reason: `pip did not resolve in ${RESOLVE_TIMEOUT_MS / 1000}s` };
  if (r.exitCode === 0) {
    try {
      const parsed = JSON.parse(report ?? '') as { install?: { metadata?: { name?: string; version?: string } }[] };
      return {
        kind: 'install',
        install: (parsed.install ?? []).map((i) => ({
          name: String(i.metadata?.name),
          version: String(i.metadata?.version),
        })),
      };
    } catch {
      return { kind: 'unknown', reason: `pip gave no report (pip older than 22.2 cannot dry-run)` };
    }
  }
  const text = `${r.stderr}\n${r.stdout}`;
  if (/no such option: --(dry-run|report)/.test(text))
    return { kind: 'unknown', reason: 'this pip cannot dry-run (pip 22.2 or newer can)' };
  const ignored = ignoredHttpIndex(text);
  if (ignored) return { kind: 'unresolvable', reason: ignored, lines: [] };
  // A pin already installed is not what pip lacks (a locked venv pins pip itself, which an index may not carry).
  const ev = fresh ? undefined : await evaluateSpecs(exe, c.packages, env, stepEnv).catch(() => undefined);
  const keep = c.packages.map((spec) => !ev || ev instanceof Error || ev.results.get(spec)?.state !== 'ok');
  const lacking = {
    ...c,
    packages: c.packages.filter((_, i) => keep[i]),
    pinVars: c.pinVars.filter((_, i) => keep[i]),
  };
  const missing = await missingPins(lacking, exe, recipe, env, runEnv);
  const where = [...new Set([index, ...askedIndexes(o, own), ...o.findLinks])];
  const indexes = `${where.length > 1 ? 'indexes' : 'index'} ${where[0]}${where.length > 1 ? ` (and ${where.length - 1} more)` : ''}`;
  if (missing.length) {
    const pins = missing.filter((m) => m.version).length;
    const names = missing.length - pins;
    const what = [
      pins ? `${pins} pinned version${pins === 1 ? '' : 's'}` : '',
      names ? `${names} package${names === 1 ? '' : 's'}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return {
      kind: 'unresolvable',
      reason: `${what} ${missing.length === 1 ? 'is' : 'are'} not in the ${indexes}`,
      lines: missing.map(
        (m) =>
          `${m.spec}: ${m.versions.length ? `the index has ${shortList(m.versions)}` : 'no version of it in the index'}${m.set && m.versions.length ? ` → --set ${m.set}=${m.versions[0]}` : ''}`,
      ),
    };
  }
  const error =
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('ERROR:')) ??
    text.trim().split('\n').pop() ??
    '';
  const hint = resolutionHint(text, index, !!o.constraint);
  return {
    kind: 'unresolvable',
    reason: `pip cannot resolve it: ${error.replace(/^ERROR:\s*/, '').slice(0, 240)}`,
    lines: hint ? [hint] : [],
  };
}

const DEFAULT_INDEX = 'https://pypi.org/simple';
/** pip skipped an http:// index it does not trust: say so, not that the packages are missing. */
function ignoredHttpIndex(text: string): string | undefined {
  const m = /repository located at (\S+) is not a trusted or secure host and is being ignored/.exec(text);
  return m
    ? `pip ignores the index at ${m[1]}: it is plain http and not a trusted host (add it to the profile's pip.trusted-host, or use https)`
    : undefined;
}

const shortList = (v: string[]): string =>
  v.length > 6 ? `${v.slice(0, 6).join(', ')} … (${v.length} versions)` : v.join(', ');

/** Every `name==version` spec of the step whose version the index (and find-links) does not have, and every package it has no version of. */
export async function missingPins(
  c: PipConfig,
  exe: string,
  recipe: string,
  env: StepEnv,
  runEnv: Record<string, string> = {},
): Promise<MissingPin[]> {
  const pins = c.packages.map((spec, i) => ({ spec, m: PIN.exec(spec), pinVar: c.pinVars[i] })).filter((p) => p.m);
  const o = indexOptions(c, env.profile);
  const found = await mapLimit(pins, 4, async (p): Promise<MissingPin | null> => {
    const [, name, version] = p.m!;
    const r = await env.runner.run({
      argv: [exe, '-m', 'pip', 'index', 'versions', ...sourceArgs(o), ...(c.pre ? ['--pre'] : []), name!],
      env: runEnv,
      cwd: env.paths.home,
      timeoutMs: 60_000,
    });
    const line = /Available versions:\s*(.*)/.exec(r.stdout)?.[1];
    if (r.exitCode !== 0 && !/No matching distribution/i.test(`${r.stderr}${r.stdout}`)) return null; // could not tell: say nothing
    const versions = line
      ? line
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : [];
    if (version ? versions.includes(version) : versions.length > 0) return null;
    return { spec: p.spec, name: name!, version, versions, set: p.pinVar ? `${recipe}.${p.pinVar}` : undefined };
  });
  return found.filter((x): x is MissingPin => x !== null);
}
