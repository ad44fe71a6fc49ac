import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { diffLines, splitLines, unifiedDiff } from '../../src/util/line-diff.js';

/** The length of a longest common subsequence, by the textbook table (the minimum the diff must reach). */
function lcs(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = x === b[j - 1] ? diag + 1 : Math.max(row[j]!, row[j - 1]!);
      diag = up;
    }
  }
  return row[b.length]!;
}

// Few distinct lines, so that random texts share many of them and the alignment matters.
const text = fc
  .array(fc.constantFrom('a\n', 'b\n', 'c\n', 'd\n', 'x = 1\n', '\n'), { maxLength: 30 })
  .chain((lines) => fc.constantFrom(lines.join(''), lines.join('').replace(/\n$/, '')));

describe('diffLines', () => {
  it('turns a into b, with the fewest changed lines', () => {
    fc.assert(
      fc.property(text, text, (x, y) => {
        const a = splitLines(x);
        const b = splitLines(y);
        const d = diffLines(a, b);
        expect(d.filter((l) => l.op !== '+').map((l) => l.text)).toEqual(a);
        expect(d.filter((l) => l.op !== '-').map((l) => l.text)).toEqual(b);
        expect(d.filter((l) => l.op !== ' ').length).toBe(a.length + b.length - 2 * lcs(a, b));
      }),
      { numRuns: 500 },
    );
  });

  it('splits lines keeping their newline', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a\nb')).toEqual(['a\n', 'b']);
    expect(splitLines('a\n\n')).toEqual(['a\n', '\n']);
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff({ path: 'f', before: 'a\n', after: 'a\n' })).toBe('');
  });

  it('shows a new file as from /dev/null', () => {
    expect(unifiedDiff({ path: '/x/f', before: undefined, after: 'one\ntwo\n' })).toBe(
      '--- /dev/null\n+++ /x/f\n@@ -0,0 +1,2 @@\n+one\n+two\n',
    );
  });

  it('marks a missing final newline and keeps hunks apart past twice the context', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}\n`).join('');
    const after = before.replace('line 2\n', 'line two\n').replace('line 19\n', 'line 19\nnew\n') + 'end';
    expect(unifiedDiff({ path: 'f', before, after })).toBe(
      [
        '--- f',
        '+++ f',
        '@@ -1,5 +1,5 @@',
        ' line 1',
        '-line 2',
        '+line two',
        ' line 3',
        ' line 4',
        ' line 5',
        '@@ -17,4 +17,6 @@',
        ' line 17',
        ' line 18',
        ' line 19',
        '+new',
        ' line 20',
        '+end',
        '\\ No newline at end of file',
        '',
      ].join('\n'),
    );
  });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'line-diff-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is a patch GNU patch applies, and diff -u agrees on what changed', () => {
    const file = path.join(dir, 'f');
    fc.assert(
      fc.property(text, text, (x, y) => {
        fc.pre(x !== y);
        const patch = unifiedDiff({ path: file, before: x, after: y });
        fs.writeFileSync(file, x);
        execFileSync('patch', ['-s', '-f', '--no-backup-if-mismatch', file], { input: patch });
        expect(fs.readFileSync(file, 'utf8')).toBe(y);
        // GNU diff may align equal-cost changes differently, never with fewer changed lines.
        fs.writeFileSync(path.join(dir, 'a'), x);
        fs.writeFileSync(path.join(dir, 'b'), y);
        let gnu = '';
        try {
          execFileSync('diff', ['-U0', path.join(dir, 'a'), path.join(dir, 'b')]);
        } catch (e) {
          gnu = String((e as { stdout: Buffer }).stdout);
        }
        const changed = (t: string): number =>
          t.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l)).length;
        expect(changed(unifiedDiff({ path: file, before: x, after: y, context: 0 }))).toBe(changed(gnu));
      }),
      { numRuns: 150 },
    );
  });

  it('stays bounded on texts with nothing in common', () => {
    const a = Array.from({ length: 5000 }, (_, i) => `a${i}\n`).join('');
    const b = Array.from({ length: 5000 }, (_, i) => `b${i}\n`).join('');
    const t0 = performance.now();
    const d = unifiedDiff({ path: 'f', before: a, after: b });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(d.split('\n').filter((l) => l.startsWith('-a')).length).toBe(5000);
  });
});
