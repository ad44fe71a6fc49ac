import fs from 'node:fs';
import path from 'node:path';
import { parseRecipe } from '../../catalog/load.js';
import { importNotes } from '../../import/import-notes.js';
import { loadMirrorHosts } from '../../import/mirrors.js';
import type { SkippedLine } from '../../import/notes.js';
import { RECIPE_NAME } from '../../lang/schema.js';
import { InputError, UsageError } from '../../util/errors.js';
import { defaultPaths } from '../../util/paths.js';
import { fileKind, MiB, readUserFileSync, UnreadableFile } from '../../util/user-file.js';
import { writeVerified } from '../../util/verified-write.js';
import { makeOutput, tilde, writeJson, type GlobalOpts, type Output } from '../output.js';

type ImportOpts = GlobalOpts & { name?: string; output?: string };

/** The first line of every draft: an earlier draft may be written over, never another file. */
const DRAFT_MARK = '# Drafted by setup import from ';

const LIMITS = { maxBytes: 16 * MiB, what: 'notes', hint: 'import a part of it' };

function readNotes(file: string): string {
  if (file === '-') return fs.readFileSync(0, 'utf8');
  try {
    return readUserFileSync(file, LIMITS).toString('utf8');
  } catch (e) {
    if (e instanceof UnreadableFile)
      throw new UsageError(`${file}: ${e.reason}`, e.hint ?? 'give a notes file, or - for stdin');
    throw e;
  }
}

/** The recipe's name: --name, else the -o file's, else the notes file's, in kebab-case. */
function recipeName(file: string, opts: ImportOpts): string {
  const fromOut = opts.output ? path.basename(opts.output).replace(/\.ya?ml$/, '') : undefined;
  if (opts.name && fromOut && opts.name !== fromOut)
    throw new UsageError(
      `--name ${opts.name} differs from the -o file's name "${fromOut}"`,
      'a recipe is named like its file: drop --name, or -o <name>.yaml',
    );
  const raw = opts.name ?? fromOut ?? (file === '-' ? 'notes' : path.basename(file).replace(/\.[^.]*$/, ''));
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!RECIPE_NAME.test(name) || (opts.name && name !== opts.name) || (fromOut && name !== fromOut))
    throw new UsageError(
      `"${raw}" is not a recipe name: kebab-case, lowercase letters, digits and -`,
      name ? `use --name ${name} (and -o ${name}.yaml)` : 'give one with --name',
    );
  return name;
}

/** Refuses an -o that is not a folder's file, or a file that is not an earlier draft. */
function checkOutput(file: string, given: string): void {
  const dir = fs.statSync(path.dirname(file), { throwIfNoEntry: false });
  if (!dir?.isDirectory()) throw new UsageError(`-o ${given}: no folder ${path.dirname(file)}`, 'create it first');
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) return;
  const kind = fileKind(st);
  const ours = !kind && readUserFileSync(file, LIMITS).toString('utf8').startsWith(DRAFT_MARK);
  if (!ours)
    throw new UsageError(
      `-o ${given} ${kind ? `is ${kind}` : 'exists and is not a draft setup import wrote'}; nothing written`,
      'remove it first, or write the draft elsewhere: -o FILE',
    );
}

/** The summary on stderr: what was kept, and each kind of skipped line with how many (dead ends one by one). */
function summary(o: Output, kept: number, steps: number, skipped: SkippedLine[], where: string): string[] {
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  const lines = [
    `${where}: kept ${kept} lines as ${steps} steps, skipped ${skipped.length} (${[...counts].map(([r, n]) => `${n} ${r}`).join(', ')})`,
  ];
  for (const s of skipped)
    if (s.reason === 'dead end' || o.verbose)
      lines.push(`  line ${s.line}: ${s.text.length > 70 ? `${s.text.slice(0, 69)}…` : s.text} — ${s.why ?? s.reason}`);
  return lines;
}

/** `setup import FILE|- [--name NAME] [-o FILE]`: notes → a recipe draft the loader accepts. */
export default async function importCommand([file]: string[], opts: ImportOpts): Promise<number> {
  const o = makeOutput(opts);
  if (!file) throw new UsageError('setup import needs a notes file', 'setup import notes.md -o my-setup.yaml');
  const name = recipeName(file, opts);
  const out = opts.output === undefined ? undefined : path.resolve(opts.output);
  if (out) checkOutput(out, opts.output ?? '');
  const text = readNotes(file);
  const paths = defaultPaths();
  const hosts = await loadMirrorHosts([paths.bundledRecipes, paths.userRecipes, ...opts.recipes]);
  const r = importNotes(text, { name, source: file === '-' ? '-' : path.basename(file), hosts });
  // The draft is checked as `setup validate` would before it is written: a problem here is ours, said as such.
  const loaded = parseRecipe(out ?? `${name}.yaml`, Buffer.from(r.yaml));
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (errors.length)
    throw new InputError(
      errors.map((p) => ({ ...p, hint: 'a draft setup import cannot load is a bug: please report it with the notes' })),
    );
  if (out) await writeVerified(out, r.yaml, { denied: 'write the draft to a folder you may write: -o FILE' });
  if (o.json) {
    writeJson(o, 'import', {
      status: 'ok',
      name,
      file: out ?? null,
      ...(out ? {} : { recipe: r.yaml }),
      steps: r.steps,
      kept: r.kept.length,
      skipped: r.skipped,
    });
    return 0;
  }
  if (!out) o.out(r.yaml);
  if (!o.quiet) {
    const lines = summary(o, r.kept.length, r.steps, r.skipped, out ? `wrote ${tilde(o, out)}` : name);
    if (out)
      lines.push(
        `review the TODOs, then: setup validate ${tilde(o, out)} && setup plan ${name} --recipes ${tilde(o, path.dirname(out))}`,
      );
    o.err(lines.join('\n'));
  }
  return 0;
}
