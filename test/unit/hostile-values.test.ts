import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ini } from '../../src/steps/config/ini.js';
import { json } from '../../src/steps/config/json.js';
import { yamlFormat } from '../../src/steps/config/yaml.js';
import type { ConfigFormat } from '../../src/steps/config/types.js';
import { parseChecksumFile } from '../../src/steps/download/cache.js';
import { clipLine, sanitize } from '../../src/util/terminal.js';

/**
 * Issue 12, classes 7 and 9, the pure parts: config writers cannot be made to change a file's structure,
 * a checksum file's digest is the one for the downloaded file, terminal text holds no control byte.
 */

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(128);

describe('parseChecksumFile picks the line for the downloaded file', () => {
  it.each([
    ['a bare digest', `${A}\n`, 'x.tgz', { digest: A }],
    ['sha256sum, several files', `${B}  other.tgz\n${A}  x.tgz\n`, 'x.tgz', { digest: A }],
    ['sha256sum binary mode', `${B} *other.tgz\n${A} *x.tgz\n`, 'x.tgz', { digest: A }],
    ['a path before the name', `${A}  ./dist/x.tgz\n${B}  ./dist/y.tgz\n`, 'x.tgz', { digest: A }],
    ['BSD style', `SHA256 (y.tgz) = ${B}\nSHA256 (x.tgz) = ${A}\n`, 'x.tgz', { digest: A }],
    ['BSD sha512', `SHA512 (x.tgz) = ${C}\n`, 'x.tgz', { digest: C, algorithm: 'sha512' }],
    ['the same digest twice', `${A}  x.tgz\n${A}  ./x.tgz\n`, 'x.tgz', { digest: A }],
    ['none for this file', `${A}  y.tgz\n${B}  z.tgz\n`, 'x.tgz', { problem: 'has 2 digests but none for x.tgz' }],
    ['a single line for another file', `${A}  y.tgz\n`, 'x.tgz', { problem: 'has 1 digest but none for x.tgz' }],
    [
      'two digests for the file',
      `${A}  x.tgz\n${B}  x.tgz\n`,
      'x.tgz',
      { problem: 'gives 2 different digests for x.tgz' },
    ],
    ['no digest at all', 'Not Found\n', 'x.tgz', { problem: 'holds no SHA-256 or SHA-512 digest' }],
    ['a name that only starts the same', `${A}  x.tgz.asc\n`, 'x.tgz', { problem: 'has 1 digest but none for x.tgz' }],
  ])('%s', (_, text, name, want) => {
    expect(parseChecksumFile(text, name)).toMatchObject(want);
  });
});

/** The structure of an INI text: its section headers and key lines, as a reader sees them. */
function iniShape(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^\s*\[/.test(l) || /^[^\s#;].*[=:]/.test(l))
    .map((l) => (/^\s*\[/.test(l) ? l.trim() : l.split(/[=:]/)[0]!.trim()));
}

/** Names and values rich in INI syntax, and plain ones (so both outcomes are exercised). */
const hostile = fc.oneof(
  fc.string({
    unit: fc.constantFrom('a', '=', ':', '[', ']', '\n', '\r', ' ', '#', ';', '.', '"', 'x', '\t'),
    maxLength: 12,
  }),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
);

describe('config writers keep the structure', () => {
  it('INI: a key and value either write exactly one key line, or are refused', () => {
    let written = 0;
    let refused = 0;
    fc.assert(
      fc.property(hostile, hostile, hostile, (section, key, value) => {
        const before = '[global]\ntimeout = 60\n';
        let out: string;
        try {
          out = ini.set(before, [{ path: [...section.split('.'), key], value }]);
        } catch (e) {
          refused++;
          expect(String(e)).toMatch(/cannot write ini/);
          return;
        }
        written++;
        const added = iniShape(out).filter((l) => !iniShape(before).includes(l));
        // At most one new section header and exactly one new key, read back as written.
        expect(added.filter((l) => !l.startsWith('[')).length).toBeLessThanOrEqual(1);
        expect(ini.get(out, [...section.split('.'), key])).toBe(value.trim());
        expect(ini.get(out, ['global', 'timeout'])).toBe('60');
      }),
      { numRuns: 2000 },
    );
    expect(written).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(100);
  });

  it('INI: a list either reads back item for item, or is refused', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (items) => {
        const before = '[global]\ntimeout = 60\n';
        let out: string;
        try {
          out = ini.set(before, [{ path: ['global', 'extra-index-url'], value: items }]);
        } catch (e) {
          expect(String(e)).toMatch(/cannot write ini/);
          return;
        }
        expect(ini.get(out, ['global', 'extra-index-url'])).toEqual(items.map((i) => i.trim()));
        expect(iniShape(out).filter((l) => l.startsWith('['))).toEqual(['[global]']);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['json', json, '{}'],
    ['yaml', yamlFormat, 'z: 1\n'],
  ] as [string, ConfigFormat, string][])(
    '%s: a reserved key path segment is refused and Object.prototype stays clean',
    (_, fmt, text) => {
      const before = Object.getOwnPropertyNames(Object.prototype).sort();
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom('__proto__', 'constructor', 'prototype', 'a', 'BASH_ENV'), {
            minLength: 1,
            maxLength: 4,
          }),
          (path) => {
            const poisoned = path.some((p) => ['__proto__', 'constructor', 'prototype'].includes(p));
            if (poisoned) expect(() => fmt.set(text, [{ path, value: '/tmp/evil.sh' }])).toThrow(/reserved/);
            else expect(fmt.get(fmt.set(text, [{ path, value: 'v' }]), path)).toBe('v');
            expect(({} as Record<string, unknown>).BASH_ENV).toBeUndefined();
          },
        ),
        { numRuns: 300 },
      );
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    },
  );
});

describe('terminal text', () => {
  // eslint-disable-next-line no-control-regex -- the test looks for control characters
  const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
  it('sanitize leaves no control character but \\n and \\t, and keeps only colour when asked', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.integer({ min: 0, max: 0x3ff }).map((c) => String.fromCharCode(c)),
            fc.constantFrom('\x1b[31m', '\x1b]0;t\x07', '\u202e', '\x9b'),
          ),
        }),
        (s) => {
          const plain = sanitize(s);
          expect(plain.replace(/[\n\t]/g, '')).not.toMatch(CONTROL);
          expect(sanitize(plain)).toBe(plain);
          // eslint-disable-next-line no-control-regex -- takes out the colour sequences (ESC [ … m) sanitize keeps
          const coloured = sanitize(s, { keepColour: true }).replace(/\x1b\[[0-9;]*m/g, '');
          expect(coloured.replace(/[\n\t]/g, '')).not.toMatch(CONTROL);
          expect(() => JSON.parse(sanitize(JSON.stringify(s), { json: true }))).not.toThrow();
          expect(JSON.parse(sanitize(JSON.stringify(s), { json: true }))).toBe(s);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('clipLine keeps short lines and counts what it cuts', () => {
    expect(clipLine('abc')).toBe('abc');
    expect(clipLine('x'.repeat(1_000_000))).toBe(`${'x'.repeat(500)}… (999500 more bytes)`);
  });
});
