import fs from 'node:fs';
import path from 'node:path';
import { parseRecipe } from '../../catalog/load.js';
import { importNotes, type ImportResult } from '../../import/import-notes.js';
import { loadMirrorHosts } from '../../import/mirrors.js';
import { RECIPE_NAME } from '../../lang/schema.js';
import { MAX_SOURCE_BYTES } from '../../lang/source.js';
import { InputError, UsageError } from '../../util/errors.js';
import { defaultPaths } from '../../util/paths.js';
import { fileKind, MiB, readUserFileSync, UnreadableFile } from '../../util/user-file.js';
import { writeVerified } from '../../util/verified-write.js';
import { makeOutput, tilde, writeJson, type GlobalOpts, type Output } from '../output.js';

type ImportOpts = GlobalOpts & { name?: string; output?: string; split?: boolean; chain?: boolean; venv?: string };

/** The first line of every draft: an earlier draft may be written over, never another file. */
const DRAFT_MARK = '# Drafted by setup import from ';

const LIMITS = { maxBytes: 16 * MiB, what: 'notes', hint: 'import a part of it' };

function readNotes(file: string): string {
  let bytes: Buffer;
  try {
    bytes = file === '-' ? fs.readFileSync(0) : readUserFileSync(file, LIMITS);
  } catch (e) {
    if (e instanceof UnreadableFile)
      throw new UsageError(`${file}: ${e.reason}`, e.hint ?? 'give a notes file, or - for stdin');
    throw e;
  }
  if (bytes.length > LIMITS.maxBytes)
    throw new UsageError(`${file}: ${(bytes.length / MiB).toFixed(1)} MiB; notes are limited to 16 MiB`, LIMITS.hint);
  // A NUL byte is in no page of notes: an image, an archive, a program.
  if (bytes.includes(0)) throw new UsageError(`${file}: binary, not text`, 'give the notes as a text file');
  return bytes.toString('utf8');
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The recipe's name: --name, else the -o file's, else the notes file's, in kebab-case. */
function recipeName(file: string, opts: ImportOpts): string {
  const fromOut = opts.output && !opts.split ? path.basename(opts.output).replace(/\.ya?ml$/, '') : undefined;
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

/** Refuses an -o this user may not write (a folder or file), before any draft is written: all or nothing. */
function writable(p: string, given: string): void {
  try {
    fs.accessSync(p, fs.constants.W_OK);
  } catch {
    throw new UsageError(
      `-o ${given}: ${p} is not writable (permission denied); nothing written`,
      'write the drafts where you may: -o PATH',
    );
  }
}

/** Refuses an -o that is not a folder's file, or a file that is not an earlier draft. */
function checkOutput(file: string, given: string): void {
  const dir = fs.statSync(path.dirname(file), { throwIfNoEntry: false });
  if (!dir?.isDirectory()) throw new UsageError(`-o ${given}: no folder ${path.dirname(file)}`, 'create it first');
  const st = fs.statSync(file, { throwIfNoEntry: false });
  writable(st ? file : path.dirname(file), given);
  if (!st) return;
  const kind = fileKind(st);
  const ours = !kind && readUserFileSync(file, LIMITS).toString('utf8').startsWith(DRAFT_MARK);
  if (!ours)
    throw new UsageError(
      `-o ${given} ${kind ? `is ${kind}` : 'exists and is not a draft setup import wrote'}; nothing written`,
      'remove it first, or write the draft elsewhere: -o FILE',
    );
}

/** `N (n1 prose, n2 link, …)`: the skipped lines, by reason. */
function skippedCounts(r: ImportResult): string {
  const counts = new Map<string, number>();
  for (const s of r.skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  return `${r.skipped.length}${counts.size ? ` (${[...counts].map(([why, n]) => `${n} ${why}`).join(', ')})` : ''}`;
}

/** The summary on stderr: what was kept, and each kind of skipped line with how many (dead ends one by one). */
function summary(o: Output, r: ImportResult, where: string): string[] {
  const steps = r.recipes.reduce((n, d) => n + d.steps, 0);
  const lines = [
    `${where}: kept ${plural(r.kept.length, 'line')} as ${plural(steps, 'step')}, skipped ${skippedCounts(r)}`,
  ];
  for (const s of r.skipped)
    if (s.reason === 'dead end' || o.verbose)
      lines.push(`  line ${s.line}: ${s.text.length > 70 ? `${s.text.slice(0, 69)}…` : s.text} — ${s.why ?? s.reason}`);
  if (r.prefix)
    lines.push(`the notes install into ${r.prefix}: the drafts use setup's prefix (--prefix ${r.prefix} keeps it)`);
  return lines;
}

/** Where each draft goes: stdout (undefined), the -o file, or `<name>.yaml` in the -o folder (--split). */
function targets(opts: ImportOpts): { dir?: string; file?: string } {
  if (opts.chain && !opts.split)
    throw new UsageError('--chain needs --split', 'setup import NOTES --split --chain -o DIR');
  if (opts.output === undefined) {
    if (opts.split)
      throw new UsageError(
        '--split writes one file per section: give -o DIR',
        'setup import NOTES --split -o ./drafts',
      );
    return {};
  }
  const out = path.resolve(opts.output);
  if (!opts.split) {
    checkOutput(out, opts.output);
    return { file: out };
  }
  const st = fs.statSync(out, { throwIfNoEntry: false });
  if (st && !st.isDirectory())
    throw new UsageError(
      `-o ${opts.output} is not a folder; nothing written`,
      'with --split, -o names a folder (made if missing)',
    );
  if (!st && !fs.statSync(path.dirname(out), { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`-o ${opts.output}: no folder ${path.dirname(out)}`, 'create it first');
  writable(st ? out : path.dirname(out), opts.output);
  return { dir: out };
}

/** `setup import FILE|- [--name NAME] [-o FILE|DIR] [--split [--chain]] [--venv PATH]`: notes → recipe drafts the loader accepts. */
export default async function importCommand([file]: string[], opts: ImportOpts): Promise<number> {
  const o = makeOutput(opts);
  if (!file) throw new UsageError('setup import needs a notes file', 'setup import notes.md -o my-setup.yaml');
  if (opts.venv !== undefined && !opts.venv.trim())
    throw new UsageError('--venv needs a path', 'setup import NOTES --venv ~/venvs/NAME');
  // A relative venv in a recipe is relative to the step's folder when it runs, not to here.
  if (opts.venv !== undefined && !/^(\/|~(\/|$)|\{\{)/.test(opts.venv))
    throw new UsageError(
      `--venv ${opts.venv} is relative: a recipe runs it from another folder`,
      `give ~/… or an absolute path: --venv ${path.resolve(opts.venv)}`,
    );
  const name = recipeName(file, opts);
  const to = targets(opts);
  const text = readNotes(file);
  const paths = defaultPaths();
  const hosts = await loadMirrorHosts([paths.bundledRecipes, paths.userRecipes, ...opts.recipes]);
  const r = importNotes(text, {
    name,
    source: file === '-' ? '-' : path.basename(file),
    hosts,
    ...(opts.venv ? { venv: opts.venv } : {}),
    ...(opts.split ? { split: true } : {}),
    ...(opts.chain ? { chain: true } : {}),
  });
  const steps = r.recipes.reduce((n, d) => n + d.steps, 0);
  if (!steps)
    throw new UsageError(
      `${file}: no line of the notes became a step, skipped ${skippedCounts(r)}; nothing written`,
      'setup import takes shell lines (apt, pip, git, cmake, make, export…) in code blocks or among prose',
    );
  const files = r.recipes.map((d) => to.file ?? (to.dir ? path.join(to.dir, `${d.name}.yaml`) : undefined));
  // Every draft is checked as `setup validate` would, and every target, before any is written: all or nothing.
  r.recipes.forEach((d, i) => {
    // A recipe file has a size limit of its own: a draft past it is too many notes at once, not a bug.
    if (Buffer.byteLength(d.yaml) > MAX_SOURCE_BYTES)
      throw new UsageError(
        `${file}: the draft ${d.name} would be ${(Buffer.byteLength(d.yaml) / MiB).toFixed(1)} MiB, over the 1 MiB a recipe may be; nothing written`,
        opts.split
          ? 'import a part of the notes'
          : 'import a part of the notes, or --split -o DIR (one recipe per section)',
      );
    const loaded = parseRecipe(files[i] ?? `${d.name}.yaml`, Buffer.from(d.yaml));
    const errors = loaded.problems.filter((p) => p.severity === 'error');
    if (errors.length)
      throw new InputError(
        errors.map((p) => ({
          ...p,
          hint: 'a draft setup import cannot load is a bug: please report it with the notes',
        })),
      );
  });
  if (to.dir && fs.existsSync(to.dir)) for (const f of files) if (f) checkOutput(f, f);
  if (to.dir) fs.mkdirSync(to.dir, { recursive: true });
  for (const [i, d] of r.recipes.entries()) {
    const f = files[i];
    if (f) await writeVerified(f, d.yaml, { denied: 'write the draft to a folder you may write: -o PATH' });
  }
  const single = !opts.split ? r.recipes[0] : undefined;
  if (o.json) {
    writeJson(o, 'import', {
      status: 'ok',
      ...(single
        ? {
            name: single.name,
            file: files[0] ?? null,
            ...(files[0] ? {} : { recipe: single.yaml }),
            steps: single.steps,
          }
        : {}),
      recipes: r.recipes.map((d, i) => ({
        name: d.name,
        ...(d.section ? { section: d.section } : {}),
        file: files[i] ?? null,
        steps: d.steps,
        ...(files[i] ? {} : { recipe: d.yaml }),
      })),
      kept: r.kept.length,
      skipped: r.skipped,
      prefix: r.prefix ?? null,
    });
    return 0;
  }
  if (single && !files[0]) o.out(single.yaml);
  if (!o.quiet) {
    const where = to.dir
      ? `wrote ${r.recipes.length} recipes into ${tilde(o, to.dir)}`
      : to.file
        ? `wrote ${tilde(o, to.file)}`
        : name;
    const lines = summary(o, r, where);
    if (to.dir)
      for (const d of r.recipes)
        lines.push(
          `  ${d.name}.yaml: ${d.steps} step${d.steps === 1 ? '' : 's'}${d.section ? ` from "${d.section}"` : ''}`,
        );
    const dir = to.dir ?? (to.file ? path.dirname(to.file) : undefined);
    const first = r.recipes[0]?.name ?? name;
    if (dir)
      lines.push(
        `review the TODOs, then: setup validate ${tilde(o, to.dir ?? to.file ?? dir)} && setup plan ${first} --recipes ${tilde(o, dir)}`,
      );
    o.err(lines.join('\n'));
  }
  return 0;
}
