import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadTo, DownloadError } from '../../src/steps/download/fetch.js';
import { ArchiveGuard, ArchiveTooBig } from '../../src/steps/download/guard.js';
import { formatSize, parseSize } from '../../src/util/size.js';
import { readUserFile, readUserFileSync, UnreadableFile } from '../../src/util/user-file.js';
import { serve } from '../helpers/archives.js';

describe('ArchiveGuard limits (fast-check)', () => {
  it('refuses exactly the archives past max-entries or max-unpacked, at the first entry past them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 5000 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 100_000 }),
        (sizes, maxEntries, maxBytes) => {
          const g = new ArchiveGuard(0, { maxEntries, maxBytes });
          let total = 0;
          let refusedAt = -1;
          for (const [i, size] of sizes.entries()) {
            try {
              g.admit({ name: `f${i}`, type: 'file', size });
            } catch (e) {
              expect(e).toBeInstanceOf(ArchiveTooBig);
              refusedAt = i;
              break;
            }
          }
          let expected = -1;
          for (const [i, size] of sizes.entries()) {
            total += size;
            if (i + 1 > maxEntries || total > maxBytes) {
              expected = i;
              break;
            }
          }
          expect(refusedAt).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('sizes', () => {
  it.each([
    ['1048576', 1048576],
    ['500 MB', 500e6],
    ['8 GiB', 8 * 2 ** 30],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['10 mib', 10 * 2 ** 20],
    [4096, 4096],
  ] as const)('%s', (text, bytes) => expect(parseSize(text)).toBe(bytes));
  it.each(['lots', '', '0', '-1 GiB', '1 GB extra', 1.5, 0, -3, '1e9'])('refuses %s', (v) =>
    expect(parseSize(v)).toBeUndefined(),
  );
  it.each([
    [512, '512 bytes'],
    [8 * 2 ** 30, '8 GiB'],
    [1.5 * 2 ** 20, '1.5 MiB'],
  ] as const)('formats %i as %s', (n, text) => expect(formatSize(n)).toBe(text));
});

describe('readUserFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-uf-'));
  it('reads a regular file within the cap, refuses one past it before reading', async () => {
    const f = path.join(dir, 'a.txt');
    fs.writeFileSync(f, 'x'.repeat(100));
    expect(readUserFileSync(f, { maxBytes: 100, what: 'tests' }).length).toBe(100);
    expect((await readUserFile(f, { maxBytes: 100, what: 'tests' })).length).toBe(100);
    expect(() => readUserFileSync(f, { maxBytes: 99, what: 'tests' })).toThrow(
      /file is 0\.0 MiB; tests are limited to 99 bytes/,
    );
    await expect(readUserFile(f, { maxBytes: 99, what: 'tests' })).rejects.toBeInstanceOf(UnreadableFile);
  });
  it('refuses /dev/zero and /dev/urandom at once (endless files whose size says 0)', async () => {
    for (const dev of ['/dev/zero', '/dev/urandom']) {
      await expect(readUserFile(dev, { maxBytes: 1 << 20, what: 'tests' })).rejects.toThrow(
        /a character device, not a regular file/,
      );
      expect(() => readUserFileSync(dev, { maxBytes: 1 << 20, what: 'tests' })).toThrow(/a character device/);
    }
  });
  it('says ENOENT for a missing file, with the code kept for callers', () => {
    try {
      readUserFileSync(path.join(dir, 'nope'), { maxBytes: 1, what: 'tests' });
      expect.unreachable();
    } catch (e) {
      expect((e as UnreadableFile).code).toBe('ENOENT');
      expect((e as UnreadableFile).reason).toBe('cannot read: no such file or folder (ENOENT)');
    }
  });
});

describe('download speed floor (a real local server)', () => {
  let srv: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    srv = await serve({
      '/trickle': (_req, res) => {
        res.writeHead(200, { 'content-length': 1_000_000 });
        const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x')), 50);
        res.on('close', () => clearInterval(t));
      },
    });
  });
  afterAll(() => srv.close());

  it('a transfer under the floor for a whole window fails for good (not retried), leaving the caller to delete the part', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-speed-')), 'f');
    const t0 = performance.now();
    const err = await downloadTo(`${srv.base}/trickle`, file, {
      retry: { tries: 3, baseDelayMs: 10 },
      log: () => {},
      minSpeed: { bytes: 1000, windowMs: 400 },
    }).catch((e: unknown) => e);
    const ms = performance.now() - t0;
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).message).toMatch(/^too slow: \d+ bytes in the last 400ms/);
    expect(srv.count('/trickle')).toBe(1);
    expect(ms).toBeLessThan(3000);
  });

  it('the overall deadline covers every try', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-speed-')), 'f');
    const err = await downloadTo(`${srv.base}/trickle`, file, {
      retry: { tries: 3, baseDelayMs: 10 },
      log: () => {},
      deadlineMs: 300,
    }).catch((e: unknown) => e);
    expect((err as DownloadError).message).toMatch(/^it did not finish within 300ms \(\d+ bytes received\)/);
  });
});
