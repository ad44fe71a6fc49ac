import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTempNameFor, tempNameFor } from '../../src/util/verified-write.js';

/** The temp-file name is what lets the sweep tell envkit's temp files from anyone else's (issue 12, class 6). */
describe('temp-file names', () => {
  const NAME = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 300 })
    .filter((s) => !s.includes('/') && !s.includes('\0'));

  it('a name tempNameFor gives is recognised, and stays under NAME_MAX however long the target name is', () => {
    fc.assert(
      fc.property(NAME, (base) => {
        const t = tempNameFor(base);
        expect(isTempNameFor(base, t)).toBe(true);
        expect(Buffer.byteLength(t)).toBeLessThanOrEqual(255);
        expect(t.startsWith('.envkit-tmp-')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('any other name is not: one character changed, added or removed, or another target', () => {
    fc.assert(
      fc.property(
        NAME,
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }),
        fc.constantFrom('change', 'insert', 'delete'),
        (base, at, ch, how) => {
          const t = tempNameFor(base);
          const i = at % t.length;
          const other =
            how === 'delete'
              ? t.slice(0, i) + t.slice(i + 1)
              : how === 'insert'
                ? t.slice(0, i) + ch + t.slice(i)
                : t.slice(0, i) + ch + t.slice(i + 1);
          if (other === t) return;
          // A changed hex digit is still a name envkit could give (any 16 digits are), so only judge the rest.
          const sameShape = /^\.envkit-tmp-[0-9a-f]{16}-/.test(other) && other.slice(29) === t.slice(29);
          expect(isTempNameFor(base, other)).toBe(sameShape);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
