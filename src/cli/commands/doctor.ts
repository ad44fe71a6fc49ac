import { ExitCode } from '../../util/errors.js';
import { doctor } from '../../doctor/doctor.js';
import { FACTS } from '../../facts/registry.js';
import { lockFrom, sessionFrom } from '../common.js';
import { bundleBeside } from '../bundle-input.js';
import { withSpinner } from '../spinner.js';
import { makeOutput, tilde, writeJson, type GlobalOpts } from '../output.js';

/** `setup doctor [recipe…]`: host summary, mirror profile, and every check with a fix; exit 1 on ✗. */
export default async function doctorCommand(
  names: string[],
  opts: GlobalOpts & { offline?: boolean; lock?: string },
): Promise<number> {
  const o = makeOutput(opts);
  // Drift: against --lock FILE, else ./envkit.lock when there is one.
  const lock = await lockFrom(opts.lock, false);
  const session = await sessionFrom(opts, names);
  const bundle = await bundleBeside(opts.mirror, opts.lock);
  const report = await withSpinner(
    o,
    'checking the host…',
    doctor(session, names, { offline: opts.offline, ...(lock ? { lock } : {}), ...(bundle ? { bundle } : {}) }),
  );
  const code = report.counts.fail ? ExitCode.failed : ExitCode.ok;
  if (o.json) {
    writeJson(o, 'doctor', { status: report.counts.fail ? 'fail' : report.counts.warn ? 'warn' : 'ok', ...report });
    return code;
  }
  const { c } = o;
  const f = report.facts;
  const show = (v: unknown): string => (v === null || v === undefined ? c.dim('none') : String(v));
  if (!o.quiet) {
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
    for (const i of report.items.filter((x) => x.recipe === undefined)) {
      const m = i.status === 'ok' ? c.green('✓') : c.yellow('!');
      o.out(`    ${m} ${i.label}  ${c.dim(i.message)}`);
      if (i.fix && i.status !== 'ok') o.out(`        ${c.cyan('fix:')} ${i.fix}`);
    }
    o.out(`  prefix: ${tilde(o, report.prefix)}`);
    o.out('');
  }
  if (!report.recipes.length) {
    o.out(
      names.length
        ? 'No recipes to verify.'
        : 'No recipe is fully installed yet; name recipes to verify them (setup doctor <recipe…>).',
    );
  }
  for (const name of report.recipes) {
    if (!o.quiet) o.out(c.bold(name));
    for (const i of report.items.filter((x) => x.recipe === name)) {
      if (o.quiet && i.status === 'ok') continue;
      const m = i.status === 'ok' ? c.green('✓') : i.status === 'warn' ? c.yellow('!') : c.red('✗');
      o.out(`  ${m} ${tilde(o, i.label)}  ${c.dim(tilde(o, i.message))}`);
      if (i.fix && i.status !== 'ok') o.out(`      ${c.cyan('fix:')} ${tilde(o, i.fix)}`);
    }
  }
  const { ok, warn, fail } = report.counts;
  o.out(
    `\n${fail ? c.red(`${fail} problem${fail === 1 ? '' : 's'}`) : c.green('No problems')}${warn ? `, ${c.yellow(`${warn} warning${warn === 1 ? '' : 's'}`)}` : ''}, ${ok} ok.`,
  );
  return code;
}
