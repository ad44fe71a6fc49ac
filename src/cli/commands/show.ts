import { resolveRecipes, selectRecipes } from '../../plan/session.js';
import { sessionFrom } from '../common.js';
import { makeOutput, tilde, writeJson, type GlobalOpts } from '../output.js';

/** `setup show <recipe>`: variables with their sources, steps as they will run, what it overrides. */
export default async function show([name]: string[], opts: GlobalOpts): Promise<number> {
  const o = makeOutput(opts);
  const session = await sessionFrom(opts, [name!]);
  selectRecipes(session, [name!]);
  const recipe = session.catalog.recipes.get(name!)!;
  const {
    recipes: [resolved],
    facts,
  } = await resolveRecipes(session, [recipe]);
  const r = resolved!;
  const steps = r.steps.map((s) => ({ step: s, action: s.impl.describe(s, session.stepEnv, facts) }));
  if (o.json) {
    writeJson(o, 'show', {
      name: recipe.name,
      format: recipe.format,
      description: recipe.description,
      file: recipe.file,
      origin: recipe.origin,
      overrides: recipe.overrides,
      requires: recipe.requires,
      profile: session.stepEnv.profile.name,
      prefix: session.stepEnv.prefix,
      vars: r.vars,
      steps: steps.map(({ step, action }) => ({
        id: step.id,
        name: step.name || null,
        kind: step.kind,
        when: step.whenFailed === null ? 'holds' : step.whenFailed,
        action,
        common: step.common,
        ...(step.tags?.length ? { tags: step.tags } : {}),
        location: `${step.loc.file}:${step.loc.line}:${step.loc.col}`,
      })),
      verify: r.verify.map((v) => ({ kind: v.kind, ...v.item })),
    });
    return 0;
  }
  const { c } = o;
  o.out(`${c.bold(recipe.name)}  ${recipe.description}`);
  o.out(
    c.dim(
      `file: ${tilde(o, recipe.file)} (recipe format ${recipe.format})${recipe.overrides.length ? `  (overrides ${recipe.overrides.map((f) => tilde(o, f)).join(', ')})` : ''}`,
    ),
  );
  if (recipe.requires.length) o.out(`requires: ${recipe.requires.join(', ')}`);
  o.out(`prefix: ${tilde(o, session.stepEnv.prefix)}   mirror: ${session.stepEnv.profile.name}`);
  if (r.vars.length) {
    o.out('\nvars:');
    const w = Math.max(...r.vars.map((v) => v.name.length));
    for (const v of r.vars)
      o.out(
        `  ${v.name.padEnd(w)} = ${tilde(o, v.value)}  ${c.dim(`(${v.source === 'config' ? 'config.yaml' : v.source}${v.type ? `, ${v.type}` : ''})`)}`,
      );
  }
  o.out('\nsteps:');
  steps.forEach(({ step, action }, i) => {
    const skip = step.whenFailed ? c.dim(`  (skipped here: ${step.whenFailed})`) : '';
    o.out(`  ${i + 1}. ${step.name || action.summary} ${c.dim(`[${step.kind}]`)}${skip}`);
    const commands = action.commands ?? [];
    // A multi-line script's summary is its first line: the script itself, shown below, says it all.
    const summaryIsScript = commands.some((cmd) => cmd.includes('\n') && action.summary.endsWith(cmd.split('\n')[0]!));
    if (step.name && !summaryIsScript) o.out(`     ${tilde(o, action.summary)}`);
    for (const cmd of commands)
      if (!action.summary.endsWith(cmd))
        o.out(c.dim(`     $ ${tilde(o, cmd).trimEnd().split('\n').join('\n       ')}`));
    for (const u of action.urls ?? []) o.out(c.dim(`     url ${u}`));
    for (const w of action.warnings ?? []) o.out(c.red(`     ${w}`));
    const cm = step.common;
    const extras = [
      cm.creates.length ? `creates ${cm.creates.map((p) => tilde(o, p)).join(', ')}` : '',
      cm.root ? 'as root' : '',
      cm.timeoutMs ? `timeout ${cm.timeoutMs / 1000}s` : '',
      cm.retries ? `retries ${cm.retries}` : '',
      step.tags?.length ? `tags ${step.tags.join(', ')}` : '',
    ].filter(Boolean);
    if (extras.length) o.out(c.dim(`     ${extras.join(' · ')}`));
  });
  if (r.verify.length) {
    o.out('\nverify:');
    for (const v of r.verify)
      o.out(`  - ${v.kind}: ${JSON.stringify(v.item[v.kind])}${v.item.version ? ` ${String(v.item.version)}` : ''}`);
  }
  return 0;
}
