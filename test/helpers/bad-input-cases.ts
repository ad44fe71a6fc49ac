import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The corpus of broken recipe inputs: one folder per case (see its README.md). */
export const CASES_DIR = path.resolve(import.meta.dirname, '..', 'fixtures', 'bad-input');

/** Every case folder, sorted. Adding a case is adding a folder. */
export function listCases(): string[] {
  return fs
    .readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Stands for the list of step kinds in expected.txt, so adding a kind does not rewrite every case. */
export const STEP_KINDS_PLACEHOLDER = '<step-kinds>';

/**
 * The expected error lines of a case, `<case>/<file>:LINE:COL: error: …`, in order, with `<step-kinds>`
 * filled from `kinds` (the registry of the code under test: src in-process, dist for the CLI).
 */
export function expectedLines(name: string, kinds: Iterable<string>): string[] {
  const list = [...kinds].join(', ');
  return fs
    .readFileSync(path.join(CASES_DIR, name, 'expected.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(STEP_KINDS_PLACEHOLDER).join(list));
}

/** A fresh temp folder to prepare cases in; removed by the returned cleanup. */
export function makeCaseRoot(): { root: string; cleanup: () => void } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-bad-input-')));
  return { root, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/**
 * Copies a case's recipe files to `<root>/<case>/` and runs its `generate.mjs`, if any (inputs too big
 * or too fragile to commit: invalid UTF-8, a 5 MiB file). Returns the prepared folder.
 */
export async function prepareCase(name: string, root: string): Promise<string> {
  const src = path.join(CASES_DIR, name);
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(src)) {
    if (/\.ya?ml$/.test(f)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  }
  // Mirror profiles of the case, in the recipe folder's profiles/ (where validate reads them).
  if (fs.existsSync(path.join(src, 'profiles')))
    fs.cpSync(path.join(src, 'profiles'), path.join(dir, 'profiles'), { recursive: true });
  const gen = path.join(src, 'generate.mjs');
  if (fs.existsSync(gen)) {
    const mod = (await import(pathToFileURL(gen).href)) as { default: (dir: string) => void | Promise<void> };
    await mod.default(dir);
  }
  return dir;
}

/** Output lines with `<root>/` removed, so paths read `<case>/<file>` as in expected.txt. */
export function relativeLines(text: string, root: string): string[] {
  return text
    .split('\n')
    .map((l) => l.split(root + path.sep).join(''))
    .filter((l) => l.trim() !== '');
}

/** Only the error lines: warnings are not part of the comparison (README.md). */
export const errorLines = (lines: readonly string[]): string[] => lines.filter((l) => / error: /.test(l));
