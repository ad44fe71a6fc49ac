import path from 'node:path';
import { ExitCode } from '../../util/errors.js';
import { LOCK_FILE } from '../../plan/lock-file.js';
import { doctor, type DoctorItem, type DoctorReport } from '../../doctor/doctor.js';
import { CHECKS, selectChecks } from '../../doctor/checks.js';
import { FACTS } from '../../facts/registry.js';
import { lockFrom, sessionFrom } from '../common.js';
import { bundleBeside } from '../bundle-input.js';
import { withSpinner } from '../spinner.js';
import { makeOutput, tilde, writeJson, type GlobalOpts, type Output } from '../output.js';

type Opts = GlobalOpts & { offline?: boolean; lock?: string; check?: string[]; listChecks?: boolean; strict?: boolean };

/** 1 when a check failed; with --strict, 4 when one warned; else 0 (skipped lines are never a problem). */
function exitCodeOf(report: DoctorReport, strict: boolean): number {
  if (report.counts.fail) return ExitCode.failed;
  return strict && report.counts.warn ? ExitCode.warnings : ExitCode.ok;
}

/** `setup doctor --list-checks`: each check's name and what it does. */
function listChecks(o: Output): number {
  if (o.json) writeJson(o, 'doctor-checks', { checks: CHECKS });
  else
    for (const c of CHECKS)
      o.out(`${c.name.padEnd(14)} ${c.description}${c.network ? o.c.dim(' (network; skipped with --offline)') : ''}`);
  return ExitCode.ok;
}

/** The header a bug report needs: envkit, Node, OS, shell, config, folders, profile, env file. */
function printHeader(o: Output, report: DoctorReport): void {
  const { c } = o;
  const h = report.header;
  o.out(
    c.bold(
      `envkit ${h.envkit} · Node ${h.node} · ${h.os} ${h.arch}${h.distro ? ` · ${h.distro}` : ''} · kernel ${h.kernel}`,
    ),
  );
  const row = (k: string, v: string): void => o.out(`  ${k.padEnd(9)} ${tilde(o, v)}`);
  row('shell', h.shell ?? c.dim('unknown'));
  row('config', `${h.config.file}${h.config.exists ? '' : c.dim(' (none: defaults)')}`);
  row('state', h.state);
  row('cache', h.cache);
  row('profile', h.profile);
  const e = h.envFile;
  row(
    'env file',
    `${e.file} · ${!e.exists ? 'not written yet' : e.sourcedBy.length ? `loaded by ${e.sourcedBy.join(', ')}` : c.yellow(`not loaded by ${e.rcFiles.join(', ')}`)}`,
  );
  o.out('');
}

/** What --quiet still shows: warn and fail lines. */
const problem = (i: DoctorItem): boolean => i.status === 'warn' || i.status === 'fail';

const MARK = { ok: '✓', warn: '!', fail: '✗', skipped: '-' } as const;

/** One check's line (and its fix), marked by status. */
function printItem(o: Output, i: DoctorItem, indent: string): void {
  const { c } = o;
  const colour = { ok: c.green, warn: c.yellow, fail: c.red, skipped: c.dim }[i.status];
  o.out(`${indent}${colour(MARK[i.status])} ${tilde(o, i.label)}  ${c.dim(tilde(o, i.message))}`);
  if (i.fix && i.status !== 'ok' && i.status !== 'skipped') o.out(`${indent}    ${c.cyan('fix:')} ${tilde(o, i.fix)}`);
}

/** `setup doctor [recipe…]`: header, host summary, mirror profile, and every check with a fix; exit 1 on ✗. */
export default async function doctorCommand(names: string[], opts: Opts): Promise<number> {
  const o = makeOutput(opts);
  if (opts.listChecks) return listChecks(o);
  const checks = selectChecks(opts.check ?? []);
  // Drift: against --lock FILE, else ./envkit.lock when there is one.
  const lock = await lockFrom(opts.lock, false);
  const session = await sessionFrom(opts, names, { reportBadConfig: true });
  const bundle = await bundleBeside(opts.mirror, opts.lock);
  const report = await withSpinner(
    o,
    'checking the host…',
    doctor(session, names, {
      offline: opts.offline,
      checks,
      ...(lock ? { lock } : opts.check?.length && checks.has('drift') ? { noLock: path.resolve(LOCK_FILE) } : {}),
      ...(bundle ? { bundle } : {}),
    }),
  );
  const code = exitCodeOf(report, !!opts.strict);
  if (o.json) {
    const status = report.counts.fail ? 'fail' : report.counts.warn ? 'warn' : 'ok';
    writeJson(o, 'doctor', { status, exitCode: code, ...report });
    return code;
  }
  const { c } = o;
  const f = report.facts;
  const show = (v: unknown): string => (v === null || v === undefined ? c.dim('none') : String(v));
  if (!o.quiet) {
    printHeader(o, report);
    o.out(c.bold('Host'));
    o.out(
      `  ${show(f.distro)} ${show(f.distro_version)} (${show(f.os)}, ${show(f.arch)}) · ${show(f.cpus)} CPUs · ${show(f.memory_gb)} GiB memory · ${show(f.disk_free_gb)} GiB free`,
    );
    o.out(
      `  user ${show(f.user)}${f.root ? ' (root)' : f.sudo ? ' (passwordless sudo)' : c.yellow(' (no root, no passwordless sudo: root steps cannot run)')} · package manager ${show(f.pkg_manager)}`,
    );
    const tools = ['python', 'pip', 'gcc', 'cmake', 'git', 'node'].map((t) => `${t} ${show(f[t])}`).join(' · ');
    o.out(`  ${tools}`);
    o.out(
      f.gpu
        ? `  GPU: ${f.gpu_count}× ${show(f.gpu_name)} · driver ${show(f.gpu_driver)} · CUDA ${show(f.cuda)}`
        : `  GPU: ${f.gpu_error ? c.yellow(`nvidia-smi present but no GPU (${String(f.gpu_error)})`) : 'none'}${f.nvcc ? ` · nvcc ${String(f.nvcc)}` : ''}`,
    );
    if (o.verbose)
      for (const def of FACTS) o.out(c.dim(`    ${def.id.padEnd(16)} ${show(f[def.id])}  ${def.description}`));
    o.out(
      `  mirror profile: ${report.profile.name}${report.profile.description ? c.dim(` — ${report.profile.description}`) : ''}`,
    );
    for (const i of report.items.filter(
      (x) => x.recipe === undefined && x.check !== 'config' && x.check !== 'env-file' && x.check !== 'drift',
    ))
      printItem(o, i, '    ');
    o.out(`  prefix: ${tilde(o, report.prefix)}`);
    for (const i of report.items.filter((x) => x.check === 'config' || x.check === 'env-file')) printItem(o, i, '  ');
    o.out('');
  } else for (const i of report.items.filter((x) => x.recipe === undefined && problem(x))) printItem(o, i, '  ');
  const recipeChecks = report.checks.some((x) => x === 'steps' || x === 'verify' || x === 'drift');
  if (recipeChecks && !report.recipes.length) {
    o.out(
      names.length
        ? 'No recipes to verify.'
        : 'No recipe is fully installed yet; name recipes to verify them (setup doctor <recipe…>).',
    );
  }
  for (const name of report.recipes) {
    if (!o.quiet) o.out(c.bold(name));
    for (const i of report.items.filter((x) => x.recipe === name)) if (!o.quiet || problem(i)) printItem(o, i, '  ');
  }
  // A check that did not run for every recipe (drift without a lock file): said after the recipes.
  if (!o.quiet)
    for (const i of report.items.filter((x) => x.recipe === undefined && x.check === 'drift')) printItem(o, i, '');
  const { ok, warn, fail, skipped } = report.counts;
  // After the recipes a blank line; after the host section alone there is one already.
  o.out(
    `${recipeChecks || o.quiet ? '\n' : ''}${fail ? c.red(`${fail} problem${fail === 1 ? '' : 's'}`) : c.green('No problems')}${warn ? `, ${c.yellow(`${warn} warning${warn === 1 ? '' : 's'}`)}` : ''}, ${ok} ok${skipped ? `, ${skipped} skipped` : ''}.`,
  );
  return code;
}
