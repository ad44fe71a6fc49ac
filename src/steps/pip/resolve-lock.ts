import { canonicalName } from './requirement.js';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { which } from '../../util/which.js';
import { lastLine, locatePython, venvPython, type PythonSpec } from '../python.js';
import type { LockEntry, StepEnv } from '../types.js';
import { installArgv, type PipConfig } from './command.js';
import { pipLockEntry } from './lock.js';

const RESOLVE_TIMEOUT_MS = 180_000;

/** What a `pip install --report` says would be installed: python version, canonical name → version, and sha256s known. */
export interface ResolvedSet {
  python: string;
  distributions: Record<string, string>;
  hashes: Record<string, string>;
}

interface ReportItem {
  metadata?: { name?: string; version?: string };
  download_info?: { archive_info?: { hash?: string; hashes?: Record<string, string> } };
}

/**
 * Reads pip's installation report (pip 22.2+, `--report`): every distribution it would install, and the
 * sha256 the index gave for its file (`archive_info.hashes`, or the older single `hash: sha256=…`). Pure;
 * throws when the text is not such a report.
 */
export function parseInstallReport(text: string): ResolvedSet {
  const data = JSON.parse(text) as { install?: ReportItem[]; environment?: { python_full_version?: string } };
  if (!data || !Array.isArray(data.install)) throw new Error('not a pip installation report');
  const distributions: Record<string, string> = {};
  const hashes: Record<string, string> = {};
  for (const item of data.install) {
    const name = item.metadata?.name;
    const version = item.metadata?.version;
    if (!name || !version) continue;
    distributions[canonicalName(name)] = version;
    const info = item.download_info?.archive_info;
    const sha = info?.hashes?.sha256 ?? /^sha256=([0-9a-f]{64})$/.exec(info?.hash ?? '')?.[1];
    if (sha) hashes[canonicalName(name)] = sha;
  }
  return { python: data.environment?.python_full_version ?? '', distributions, hashes };
}

/**
 * `setup lock --resolve` for a pip step: `pip install --dry-run --ignore-installed --report` with the step's
 * requirements and index, by the venv's interpreter — or, when the venv does not exist yet, by python3 on
 * PATH (the entry's `note:` says so). Installs nothing. The entry is `lock`'s plus `hashes:` (name → sha256).
 */
export async function resolvePipLock(
  c: PipConfig,
  env: StepEnv,
  stepEnv: Record<string, string>,
  /** The `python:` of the recipe's venv step that makes `c.venv`, when there is one. */
  venvBase?: PythonSpec,
): Promise<LockEntry> {
  let exe: string | undefined;
  let note: string | undefined;
  if (c.venv) {
    exe = venvPython(c.venv);
    if (!existsSync(exe)) {
      const base = venvBase ? await locatePython(venvBase, env) : undefined;
      if (base instanceof Error)
        throw new Error(`${c.venv} does not exist yet, and its venv step's python: ${base.message}`);
      exe = base?.exe ?? which('python3', env.processEnv.PATH);
      note = `${c.venv} does not exist yet: resolved with ${exe ?? 'python3'}, the interpreter its venv step would use`;
    }
  } else {
    const found = await locatePython(c.python, env);
    if (found instanceof Error) throw found;
    exe = found.exe;
  }
  if (!exe) throw new Error('no python3 on PATH to resolve with');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'envkit-pip-resolve-'));
  const report = path.join(dir, 'report.json');
  try {
    const argv = installArgv(c, exe, env.profile, ['--dry-run', '--ignore-installed', '--report', report]);
    const r = await env.runner.run({
      argv,
      // Nothing is installed by a dry run: an externally managed python may answer it too.
      env: { ...stepEnv, PIP_BREAK_SYSTEM_PACKAGES: '1', PYTHONDONTWRITEBYTECODE: '1' },
      cwd: env.paths.home,
      timeoutMs: RESOLVE_TIMEOUT_MS,
    });
    if (r.spawnError) throw new Error(`cannot run ${exe}: ${r.spawnError}`);
    if (r.timedOut) throw new Error(`pip did not resolve in ${RESOLVE_TIMEOUT_MS / 1000}s`);
    if (r.exitCode !== 0) {
      const text = `${r.stderr}\n${r.stdout}`;
      if (/no such option: --(dry-run|report)/.test(text))
        throw new Error('this pip cannot dry-run (pip 22.2 or newer can)');
      const error = text.split('\n').find((l) => l.trim().startsWith('ERROR:')) ?? lastLine(r.stderr);
      throw new Error(`pip cannot resolve it: ${error.replace(/^\s*ERROR:\s*/, '').slice(0, 240)}`);
    }
    const set = parseInstallReport(await fs.readFile(report, 'utf8'));
    const hashes: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const n of Object.keys(set.hashes).sort()) hashes[n] = set.hashes[n]!;
    return {
      ...pipLockEntry({ venv: c.venv, exe }, set),
      ...(Object.keys(hashes).length ? { hashes } : {}),
      ...(note ? { note } : {}),
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
