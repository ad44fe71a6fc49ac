import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { ResolvedVerify } from '../catalog/resolve.js';
import { parseEnvFile } from '../steps/env-file.js';
import { commandArgv, commandEnv, commandText } from '../steps/command.js';
import type { Command, StepEnv } from '../steps/types.js';
import { readIfExists } from '../util/safe-write.js';
import { expandHome } from '../util/paths.js';
import { satisfies, toSemver } from '../util/version.js';
import { parseVersion } from '../facts/parsers.js';
import { notInstalled } from '../steps/packages.js';
import { evaluateSpecs } from '../steps/pip/evaluate.js';
import { judge } from '../steps/pip/judge.js';
import { venvPython } from '../steps/python.js';
import { which } from '../util/which.js';
import { checkProgram } from './program.js';

/** One doctor line: ✓ ok, ! warn (works, but look), ✗ fail — with a one-line fix for the last two. */
export interface DoctorItem {
  recipe?: string;
  label: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix?: string;
}

const VERIFY_TIMEOUT_MS = 15_000;

/** Runs one `verify:` item. Never changes anything. */
export async function runVerify(v: ResolvedVerify, env: StepEnv): Promise<DoctorItem> {
  const item = v.item;
  const fix = (item.fix as string | undefined) ?? `setup run ${v.recipe}`;
  const base = { recipe: v.recipe, label: (item.name as string | undefined) ?? labelOf(v) };
  if (v.whenFailed) return { ...base, status: 'ok', message: `not needed here (${v.whenFailed})` };
  // Every path-bearing field (argv items, file, venv, program flags) may start with ~/ (a shell command's own words are bash's to expand).
  const home = (p: string): string => expandHome(p, env.paths.home);
  switch (v.kind) {
    case 'command': {
      const cmd = verifyCommand(item.command, home);
      const r = await env.runner.run({ argv: commandArgv(cmd), cwd: env.paths.home, env: commandEnv(cmd), timeoutMs: VERIFY_TIMEOUT_MS });
      const out = `${r.stdout}\n${r.stderr}`;
      if (r.spawnError) return { ...base, status: 'fail', message: r.spawnError, fix };
      if (r.timedOut) return { ...base, status: 'warn', message: `no answer in ${VERIFY_TIMEOUT_MS / 1000}s`, fix };
      if (r.exitCode !== 0) {
        const first = out.trim().split('\n').pop() ?? '';
        return { ...base, status: 'fail', message: `exited ${r.exitCode ?? r.signal}${r.exitCode === 127 ? ' (command not found)' : ''}${first && r.exitCode !== 127 ? `: ${first.slice(0, 120)}` : ''}`, fix };
      }
      const range = item.version as string | undefined;
      if (!range) return { ...base, status: 'ok', message: 'works' };
      const version = parseVersion(out);
      if (!version || !toSemver(version)) return { ...base, status: 'warn', message: `works, but its output shows no version to compare with ${range}`, fix };
      return satisfies(version, range)
        ? { ...base, status: 'ok', message: `${version} (wants ${range})` }
        : { ...base, status: 'fail', message: `${version} does not satisfy ${range}`, fix };
    }
    case 'file': {
      const p = home(item.file as string);
      const st = await fs.stat(p).catch(() => null);
      return st ? { ...base, status: 'ok', message: 'exists' } : { ...base, status: 'fail', message: `${p} does not exist`, fix };
    }
    case 'python':
    case 'pip': {
      const exe = item.venv ? venvPython(home(item.venv as string)) : which('python3', env.processEnv.PATH);
      if (!exe || !existsSync(exe)) return { ...base, status: 'fail', message: item.venv ? `${String(item.venv)} has no python` : 'python3 is not on PATH', fix };
      if (v.kind === 'python') {
        const mod = item.python as string;
        if (!/^[A-Za-z_][\w.]*$/.test(mod)) return { ...base, status: 'fail', message: `"${mod}" is not a module name` };
        const r = await env.runner.run({ argv: [exe, '-c', `import ${mod}`], cwd: env.paths.home, timeoutMs: VERIFY_TIMEOUT_MS });
        if (r.spawnError) return { ...base, status: 'fail', message: r.spawnError, fix };
        if (r.exitCode === 0) return { ...base, status: 'ok', message: `imports (${exe.replace(env.paths.home, '~')})` };
        const why = (r.stderr.trim().split('\n').pop() ?? '').slice(0, 160);
        return { ...base, status: 'fail', message: `does not import${why ? `: ${why}` : ''}`, fix };
      }
      const ev = await evaluateSpecs(exe, [item.pip as string], env);
      if (ev instanceof Error) return { ...base, status: 'warn', message: `could not tell: ${ev.message}`, fix };
      const c = judge([item.pip as string], ev, { where: exe, warnExternallyManaged: false });
      return { ...base, status: c.state === 'satisfied' ? 'ok' : c.state === 'unknown' ? 'warn' : 'fail', message: c.reason, ...(c.state === 'satisfied' ? {} : { fix }) };
    }
    case 'apt': {
      try {
        const missing = await notInstalled([item.apt as string], env);
        return missing.length ? { ...base, status: 'fail', message: 'not installed', fix } : { ...base, status: 'ok', message: 'installed' };
      } catch (e) {
        return { ...base, status: 'warn', message: `could not tell: ${(e as Error).message}` };
      }
    }
    case 'program': {
      const r = await checkProgram({ source: item.program as string, language: (item.language as 'c' | 'c++' | undefined) ?? 'c', flags: ((item.flags as string[] | undefined) ?? []).map(home), expect: item.expect as string | undefined, timeoutMs: VERIFY_TIMEOUT_MS }, env.runner);
      if (r.ok) return { ...base, status: 'ok', message: item.expect === undefined ? 'builds and runs' : `builds, runs, prints ${JSON.stringify(r.output.length > 60 ? `${r.output.slice(0, 60)}…` : r.output)}` };
      return { ...base, status: 'fail', message: r.message, fix: r.stage === 'compiler' ? 'setup run build-tools' : fix };
    }
    case 'url': {
      const url = item.url as string;
      try {
        const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(5000) });
        await res.body?.cancel();
        return res.status < 500 ? { ...base, status: 'ok', message: `answers (HTTP ${res.status})` } : { ...base, status: 'fail', message: `answers HTTP ${res.status}`, fix };
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
        return { ...base, status: 'fail', message: `does not answer (${cause === 'TimeoutError' ? 'no answer in 5s' : cause})`, fix };
      }
    }
    case 'env': {
      const name = item.env as string;
      const want = item.value as string | undefined;
      const have = env.processEnv[name];
      if (have !== undefined && (want === undefined || have === want)) return { ...base, status: 'ok', message: want === undefined ? 'set' : `= ${have}` };
      const managed = parseEnvFile(await readIfExists(env.paths.envFile)).set.get(name);
      if (managed !== undefined && (want === undefined || managed === want)) {
        return { ...base, status: 'warn', message: 'set in the envkit env file, but not in this shell', fix: `open a new shell, or: . ${env.paths.envFile}` };
      }
      return { ...base, status: 'fail', message: have === undefined ? 'not set' : `is ${JSON.stringify(have)}, wants ${JSON.stringify(want)}`, fix };
    }
    default:
      return { ...base, status: 'warn', message: `this setup cannot check "${v.kind}" items yet` };
  }
}

function labelOf(v: ResolvedVerify): string {
  const i = v.item;
  switch (v.kind) {
    case 'command':
      return commandText(verifyCommand(i.command)) + (i.version ? ` ${String(i.version)}` : '');
    case 'file':
      return String(i.file);
    case 'env':
      return `$${String(i.env)}`;
    case 'python':
      return `import ${String(i.python)}`;
    case 'pip':
      return `pip ${String(i.pip)}`;
    case 'apt':
      return `package ${String(i.apt)}`;
    case 'url':
      return String(i.url);
    case 'program':
      return `a ${String(i.language ?? 'c')} program${i.flags ? ` (${(i.flags as string[]).filter((f) => f.startsWith('-l')).join(' ')})` : ''}`;
    default:
      return v.kind;
  }
}

/** A verify item's command: a script resolved with its values (see renderShell), a plain script, or an argv. */
function verifyCommand(c: unknown, home: (p: string) => string = (p) => p): Command {
  if (typeof c === 'string') return { shell: c };
  if (Array.isArray(c)) return { argv: (c as string[]).map(home) };
  return c as Command;
}
