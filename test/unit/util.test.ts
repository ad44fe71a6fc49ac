import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closest, didYouMean, distance } from '../../src/util/did-you-mean.js';
import { formatDuration, parseDuration } from '../../src/util/duration.js';
import { mapLimit } from '../../src/util/limit.js';
import { looksLikeRange, normalizeRange, satisfies, toSemver } from '../../src/util/version.js';
import { which } from '../../src/util/which.js';
import { clipValue } from '../../src/util/terminal.js';
import { addSecret } from '../../src/util/redact.js';

describe('did-you-mean', () => {
  it('distance is the Levenshtein distance', () => {
    expect(distance('', '')).toBe(0);
    expect(distance('abc', '')).toBe(3);
    expect(distance('kitten', 'sitting')).toBe(3);
    expect(distance('apt-get', 'apt')).toBe(4);
    expect(distance('flaw', 'lawn')).toBe(2);
  });

  const kinds = ['run', 'apt', 'pip', 'venv', 'download', 'git', 'cmake', 'make', 'env', 'file', 'config'];
  it.each([
    ['apt-get', 'apt'],
    ['downlaod', 'download'],
    ['Cmake', 'cmake'],
    ['confg', 'config'],
    ['gti', 'git'],
    ['files', 'file'],
  ])('%s → %s', (typo, want) => {
    expect(closest(typo, kinds)).toBe(want);
  });

  it('prefers a prefix over an edit', () => {
    expect(closest('distro_ver', ['distro_codename', 'distro_version'])).toBe('distro_version');
    expect(closest('gpu_', ['gpu', 'gpu_count', 'cpus'])).toBe('gpu');
  });

  it('suggests nothing when nothing is close', () => {
    expect(closest('kubernetes', kinds)).toBeUndefined();
    expect(closest('x', ['abcdef'])).toBeUndefined();
    expect(closest('anything', [])).toBeUndefined();
  });

  it('the first of equally close candidates wins', () => {
    expect(closest('mak', ['make', 'mask'])).toBe('make');
    expect(closest('mak', ['mask', 'make'])).toBe('make'); // a prefix (0.5) beats an edit (1)
    expect(closest('ab', ['ax', 'ay'])).toBe('ax');
  });

  it('formats the suggestion, or nothing', () => {
    expect(didYouMean('apt-get', kinds)).toBe(' (did you mean "apt"?)');
    expect(didYouMean('kubernetes', kinds)).toBe('');
    // A close alias is suggested by the name it stands for.
    expect(didYouMean('apt-get', kinds, (c) => (c === 'apt' ? 'packages' : c))).toBe(' (did you mean "packages"?)');
  });
});

describe('parseDuration', () => {
  it.each<[number | string, number | undefined]>([
    [90, 90_000],
    [0.5, 500],
    ['90', 90_000],
    [' 90 ', 90_000],
    ['1.5', 1500],
    ['45s', 45_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1h30m15s', 5_415_000],
    ['500ms', 500],
    ['1m500ms', 60_500],
    ['1.5h', 5_400_000],
    ['2h', 7_200_000],
    ['0.5ms', 1],
    // not durations
    [0, undefined],
    [-5, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [0.0004, undefined],
    ['0.4ms', undefined],
    ['0', undefined],
    ['0s', undefined],
    ['', undefined],
    ['   ', undefined],
    ['10', 10_000],
    ['10 m', undefined],
    ['1m30', undefined],
    ['m', undefined],
    ['1d', undefined],
    ['-5s', undefined],
    ['1e3', undefined],
    ['ten minutes', undefined],
    ['10M', undefined],
  ])('%j → %s', (input, want) => {
    expect(parseDuration(input)).toBe(want);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [12.4, '12ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [1000, '1.0s'],
    [1234, '1.2s'],
    [59_900, '59.9s'],
    [59_949, '59.9s'],
    [59_950, '1m00s'],
    [59_999, '1m00s'],
    [60_000, '1m00s'],
    [65_000, '1m05s'],
    [119_400, '1m59s'],
    [119_600, '2m00s'],
    [3_600_000, '60m00s'],
  ])('%d ms → %s', (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });

  it('never shows 60 seconds or 1000 ms', () => {
    const bad: string[] = [];
    for (let ms = 0; ms < 200_000; ms += 0.7) {
      const s = formatDuration(ms);
      if (/^1000ms$|^60\.0s$|m60s$/.test(s)) bad.push(`${ms} → ${s}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('version', () => {
  it('toSemver reads loose versions', () => {
    expect(toSemver('3.11.7')?.version).toBe('3.11.7');
    expect(toSemver('3.11')?.version).toBe('3.11.0');
    expect(toSemver('12')?.version).toBe('12.0.0');
    expect(toSemver('22.04')?.version).toBe('22.4.0');
    expect(toSemver('22.10')?.version).toBe('22.10.0');
    expect(toSemver('1.7.4rc1')?.version).toBe('1.7.4');
    expect(toSemver('v2.39.5')?.version).toBe('2.39.5');
    expect(toSemver('10.0.1')?.version).toBe('10.0.1');
    expect(toSemver('unknown')).toBeNull();
    expect(toSemver('')).toBeNull();
  });

  it.each([
    ['3.11.7', '>=3.8', true],
    ['3.7.17', '>=3.8', false],
    ['22.04', '>=20.04', true],
    ['22.04', '>=22.10', false],
    ['22.10', '>=22.04', true],
    ['12', '<12', false],
    ['11.8', '<12', true],
    ['12', '>=12', true],
    ['12.4', '^12', true],
    ['13.0', '^12', false],
    ['3.10.12', '~3.10', true],
    ['3.11.0', '~3.10', false],
    ['1.7.4rc1', '>=1.7', true],
    ['3.12.1', '3.x', true],
    ['3.12.1', '>=3.8 <3.12', false],
    ['2.7.18', '<3 || >=3.8', true],
    ['not-a-version', '>=1', false],
    ['1.0', 'not a range', false],
  ])('satisfies(%s, %s) = %s', (v, r, want) => {
    expect(satisfies(v, r)).toBe(want);
  });

  it.each([
    ['>=3.8', true],
    ['<12', true],
    ['^1.7', true],
    ['~3.10', true],
    ['=1.2', true],
    [' >= 3', true],
    ['1.x', true],
    ['1.2.*', true],
    ['1 - 2', true],
    ['<2 || >3', true],
    ['3.11', false],
    ['12', false],
    ['debian', false],
    ['x86_64', false],
    ['1.2-3', false],
  ])('looksLikeRange(%j) = %s', (s, want) => {
    expect(looksLikeRange(s)).toBe(want);
  });

  it('normalizeRange unpads leading zeros and rejects what does not parse', () => {
    expect(normalizeRange('>=20.04')).toBe('>=20.4.0');
    expect(normalizeRange('>=3.8')).toBe('>=3.8.0');
    expect(normalizeRange('<12')).toBe('<12.0.0-0');
    expect(normalizeRange('>=x.y')).toBeNull();
    expect(normalizeRange('>>3')).toBeNull();
    expect(normalizeRange('>=1.2.3.4')).toBeNull();
    expect(normalizeRange('~foo')).toBeNull();
  });
});

describe('mapLimit', () => {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('keeps the input order whatever order the calls finish in', async () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const out = await mapLimit(items, 4, async (x, i) => {
      await sleep((20 - x) % 7);
      return `${x}@${i}`;
    });
    expect(out).toEqual(items.map((x) => `${x}@${x}`));
  });

  it.each([1, 3, 8])('never has more than %d calls in flight, and uses that many', async (limit) => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit(
      Array.from({ length: 25 }, (_, i) => i),
      limit,
      async (x) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(1 + (x % 3));
        inFlight--;
        return x * 2;
      },
    );
    expect(peak).toBe(limit);
    expect(out).toEqual(Array.from({ length: 25 }, (_, i) => i * 2));
  });

  it('calls fn once per item', async () => {
    const seen: number[] = [];
    await mapLimit([5, 6, 7, 8, 9], 2, async (x) => {
      seen.push(x);
      await sleep(1);
    });
    expect(seen.sort()).toEqual([5, 6, 7, 8, 9]);
  });

  it('handles no items, and a limit of 0 or more than the items', async () => {
    expect(await mapLimit([], 4, async (x) => x)).toEqual([]);
    expect(await mapLimit([1, 2], 0, async (x) => x + 1)).toEqual([2, 3]);
    expect(await mapLimit([1, 2], 100, async (x) => x + 1)).toEqual([2, 3]);
  });

  it('rejects when a call rejects', async () => {
    await expect(mapLimit([1, 2, 3], 2, async (x) => (x === 2 ? Promise.reject(new Error('two')) : x))).rejects.toThrow(
      'two',
    );
  });
});

describe('which', () => {
  let tmp: string;
  let a: string;
  let b: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-which-'));
    a = path.join(tmp, 'a');
    b = path.join(tmp, 'b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.writeFileSync(path.join(a, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(b, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(a, 'data'), 'not a program', { mode: 0o644 });
    fs.writeFileSync(path.join(b, 'data'), '#!/bin/sh\n', { mode: 0o755 });
    fs.mkdirSync(path.join(a, 'folder'));
    fs.symlinkSync(path.join(b, 'tool'), path.join(a, 'link'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('finds the first executable on PATH', () => {
    expect(which('tool', [a, b].join(path.delimiter))).toBe(path.join(a, 'tool'));
    expect(which('tool', [b, a].join(path.delimiter))).toBe(path.join(b, 'tool'));
  });

  it('skips files that are not executable, and folders', () => {
    expect(which('data', [a, b].join(path.delimiter))).toBe(path.join(b, 'data'));
    expect(which('folder', a)).toBeUndefined();
  });

  it('follows symlinks to executables', () => {
    expect(which('link', a)).toBe(path.join(a, 'link'));
  });

  it('is undefined when absent, with an empty PATH, or with empty PATH entries', () => {
    expect(which('nope', [a, b].join(path.delimiter))).toBeUndefined();
    expect(which('tool', '')).toBeUndefined();
    expect(which('tool', `${path.delimiter}${path.delimiter}${b}`)).toBe(path.join(b, 'tool'));
  });

  it('checks a path with a slash directly, ignoring PATH', () => {
    expect(which(path.join(b, 'tool'), '')).toBe(path.join(b, 'tool'));
    expect(which(path.join(a, 'data'), b)).toBeUndefined();
    expect(which(path.join(a, 'missing'), b)).toBeUndefined();
  });

  it('finds real programs on the default PATH', () => {
    expect(which('sh')).toMatch(/\/sh$/);
  });
});

describe('clipValue (a value in a one-line summary)', () => {
  it('keeps a short one-line value whole', () => {
    expect(clipValue('https://pypi.example.com/simple')).toBe('https://pypi.example.com/simple');
  });
  it('cuts a long value and a value of several lines, saying how much is left out', () => {
    expect(clipValue('x'.repeat(100), 10)).toBe('xxxxxxxxxx… (90 more bytes)');
    expect(clipValue('first\nsecond\nthird')).toBe('first (+2 more lines)');
  });
  it('masks a secret before cutting, so no part of it is shown', () => {
    const secret = 'clip-secret-9f8e7d6c5b4a';
    addSecret(secret);
    const shown = clipValue(`token=${secret}${'y'.repeat(60)}`, 12);
    expect(shown).not.toContain('clip-sec');
    expect(shown.startsWith('token=')).toBe(true);
  });
});
