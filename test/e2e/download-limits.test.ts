import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Header } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawTar, serve, sha256 } from '../helpers/archives.js';
import { BIN, cliEnv, tempHome, writeRecipes } from './helpers.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/**
 * A gzip bomb: a tarball holding one file of `bytes` zeros, about 1 MB compressed. gzip streams may be
 * concatenated, so it is built from one compressed MiB of zeros repeated: no GiB is ever in memory.
 */
function gzipBomb(bytes: number, tarHeader = true): Buffer {
  const parts: Buffer[] = [];
  if (tarHeader) {
    const block = Buffer.alloc(512);
    new Header({ path: 'bomb/zeros', type: 'File', size: bytes, mode: 0o644, mtime: new Date(0) }).encode(block, 0);
    parts.push(zlib.gzipSync(block));
  }
  const mib = zlib.gzipSync(Buffer.alloc(MiB), { level: 9 });
  for (let i = 0; i < bytes / MiB; i++) parts.push(mib);
  if (tarHeader) parts.push(zlib.gzipSync(Buffer.alloc(1024)));
  return Buffer.concat(parts);
}

/** A route that never ends: chunked zeros as fast as the client takes them. */
const endless = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
};

/** One byte a second, for ever. */
const trickle = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  res.writeHead(200, { 'content-length': 1_000_000 });
  const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x')), 1000);
  res.on('close', () => clearInterval(t));
};

const BOMB = gzipBomb(GiB);
const RAW_BOMB = gzipBomb(GiB, false);
const TOO_LONG = Buffer.alloc(MiB, 7);
const SETUID_TAR = rawTar([
  { path: 'pkg/', type: 'Directory', mode: 0o1777 },
  { path: 'pkg/suid', body: '#!/bin/sh\n', mode: 0o4755 },
  { path: 'pkg/sgid', body: '#!/bin/sh\n', mode: 0o2755 },
  { path: 'pkg/plain', body: 'x\n', mode: 0o640 },
]);
const MANY = rawTar(Array.from({ length: 1001 }, (_, i) => ({ path: `many/f${i}`, body: '' })));
let SETUID_ZIP: Buffer;
let srv: Awaited<ReturnType<typeof serve>>;
/** Bytes the `/huge` route got into the socket. */
let bigRequested = 0;

beforeAll(async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-dl-lim-'));
  const script = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for name, mode in (('pkg/suid', 0o104755), ('pkg/sgid', 0o102755), ('pkg/plain', 0o100640)):
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = mode << 16
        z.writestr(info, '#!/bin/sh\\n')
`;
  execFileSync('python3', ['-c', script, path.join(d, 'a.zip')]);
  SETUID_ZIP = fs.readFileSync(path.join(d, 'a.zip'));
  srv = await serve({
    '/bomb.tar.gz': BOMB,
    '/raw-bomb.gz': RAW_BOMB,
    '/endless': endless,
    '/trickle': trickle,
    '/setuid.tar': SETUID_TAR,
    '/setuid.zip': SETUID_ZIP,
    '/many.tar': MANY,
    // Announces 20 GiB: refused on the headers, before the body.
    '/huge': (_req, res) => {
      res.writeHead(200, { 'content-length': String(20 * GiB) });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = (): void => {
        for (let more = true; more && !res.destroyed; bigRequested += chunk.length) more = res.write(chunk);
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    },
    // Says 1000 bytes, sends a MiB.
    '/liar': (_req, res) => {
      res.socket?.write(`HTTP/1.1 200 OK\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n`);
      res.socket?.end(TOO_LONG);
    },
  });
});
afterAll(() => srv?.close());

/** Runs a command with the CLI's environment, killed (failing the test) after `ms`. */
function exec(argv: string[], home: string, ms: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      { env: cliEnv(home), cwd: home, timeout: ms, killSignal: 'SIGKILL', maxBuffer: 16 * MiB },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, out: stderr + stdout });
      },
    );
  });
}

/** `setup …` under /usr/bin/time: its exit, output, seconds, and peak memory (max RSS, MiB). */
async function run(
  home: string,
  args: string[],
  ms = 60_000,
): Promise<{ code: number | null; out: string; seconds: number; rssMiB: number }> {
  const t0 = performance.now();
  const stats = path.join(home, 'time.txt');
  const { code, out } = await exec(
    ['/usr/bin/time', '-f', '%M', '-o', stats, process.execPath, BIN, ...args],
    home,
    ms,
  );
  return {
    code,
    out,
    seconds: (performance.now() - t0) / 1000,
    rssMiB: Number(fs.readFileSync(stats, 'utf8').trim().split('\n').pop()) / 1024,
  };
}

/** Every temp, partial or unpacked leftover under HOME. */
function leftovers(home: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (/envkit-tmp|envkit-old|\.part$|^out$|^dest$/.test(e.name)) out.push(p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(home);
  return out;
}

function recipeHome(download: string): { home: string; args: string[] } {
  const home = tempHome('envkit-dl-lim-');
  const dir = writeRecipes(path.join(home, 'recipes'), {
    'dl.yaml': `name: dl\ndescription: d\nsteps:\n  - ${download}\n`,
  });
  return { home, args: ['--recipes', dir, 'run', 'dl'] };
}

const figures: string[] = [];
afterAll(() => console.log(`download limits:\n  ${figures.join('\n  ')}`));

describe('downloads and archives are capped', () => {
  it('a 1 GiB gzip bomb (a 1 MB tar.gz) is refused before anything is written, in bounded memory', async () => {
    const { home, args } = recipeHome(
      `download: { url: "${srv.base}/bomb.tar.gz", sha256: ${sha256(BOMB)}, extract: ~/out }`,
    );
    const r = await run(home, args);
    figures.push(
      `gzip bomb: ${(BOMB.length / 1e6).toFixed(2)} MB → 1 GiB: refused in ${r.seconds.toFixed(2)} s, peak RSS ${r.rssMiB.toFixed(0)} MiB`,
    );
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/refused to unpack .*: it unpacks to more than 512 MiB \(at "bomb\/zeros"\)/);
    expect(r.out).toContain('max-unpacked');
    expect(leftovers(home)).toEqual([]);
    expect(r.rssMiB).toBeLessThan(400);
  }, 90_000);

  it('a 1 GiB gzip of zeros that is no tarball is cut off, not decompressed whole', async () => {
    const { home, args } = recipeHome(
      `download: { url: "${srv.base}/raw-bomb.gz", sha256: ${sha256(RAW_BOMB)}, extract: ~/out }`,
    );
    const r = await run(home, args);
    figures.push(`raw gzip bomb (no tar): refused in ${r.seconds.toFixed(2)} s, peak RSS ${r.rssMiB.toFixed(0)} MiB`);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/refused to unpack .*: its data goes on past what its 0 entries hold/);
    expect(leftovers(home)).toEqual([]);
    expect(r.rssMiB).toBeLessThan(400);
  }, 90_000);

  it('an endless body stops at max-size, leaving no partial file', async () => {
    const { home, args } = recipeHome(
      `download: { url: "${srv.base}/endless", insecure: true, dest: ~/dest, max-size: 10 MiB }`,
    );
    const r = await run(home, args);
    figures.push(
      `endless body, max-size 10 MiB: stopped in ${r.seconds.toFixed(2)} s, peak RSS ${r.rssMiB.toFixed(0)} MiB`,
    );
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('it is bigger than the 10 MiB limit (stopped there)');
    expect(leftovers(home)).toEqual([]);
  }, 90_000);

  it('a Content-Length over the default 8 GiB fails before the body is read', async () => {
    const { home, args } = recipeHome(`download: { url: "${srv.base}/huge", insecure: true, dest: ~/dest }`);
    const r = await run(home, args);
    figures.push(
      `Content-Length 20 GiB: refused in ${r.seconds.toFixed(2)} s, ${(bigRequested / MiB).toFixed(1)} MiB sent by the server before the client hung up`,
    );
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('it is 20 GiB (Content-Length), over the 8 GiB limit; nothing was downloaded');
    expect(r.seconds).toBeLessThan(15);
    expect(bigRequested).toBeLessThan(64 * MiB); // what the socket buffers took, not the body
    expect(leftovers(home)).toEqual([]);
  }, 60_000);

  it('a body longer than its Content-Length is not taken for the file', async () => {
    const { home, args } = recipeHome(
      `download: { url: "${srv.base}/liar", sha256: ${sha256(TOO_LONG)}, dest: ~/dest }`,
    );
    const r = await run(home, args);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/sha256 mismatch|more than the 1000 bytes/);
    expect(leftovers(home)).toEqual([]);
  }, 60_000);

  it('a trickling server (1 byte/s) fails at the deadline (the step timeout) with a clear message', async () => {
    const { home, args } = recipeHome(
      `download: { url: "${srv.base}/trickle", insecure: true, dest: ~/dest }\n    timeout: 3s`,
    );
    const r = await run(home, args);
    figures.push(`trickle 1 byte/s, timeout 3s: failed in ${r.seconds.toFixed(2)} s`);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/timed out|did not finish within 3\.0s/);
    expect(r.seconds).toBeLessThan(12);
    expect(leftovers(home)).toEqual([]);
  }, 60_000);

  it('more entries than max-entries: refused, nothing unpacked', async () => {
    const { home, args } = recipeHome(
      `download: { url: "${srv.base}/many.tar", sha256: ${sha256(MANY)}, extract: ~/out, max-entries: 1000 }`,
    );
    const r = await run(home, args);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('it has more than 1000 entries');
    expect(leftovers(home)).toEqual([]);
  }, 60_000);

  it.each(['tar', 'zip'] as const)(
    'setuid, setgid and sticky bits are stripped when unpacking a %s',
    async (kind) => {
      const body = kind === 'tar' ? SETUID_TAR : SETUID_ZIP;
      const { home, args } = recipeHome(
        `download: { url: "${srv.base}/setuid.${kind}", sha256: ${sha256(body)}, extract: ~/x }`,
      );
      const r = await run(home, args);
      expect(r.code, r.out).toBe(0);
      const modes = Object.fromEntries(
        ['pkg', 'pkg/suid', 'pkg/sgid', 'pkg/plain'].map((p) => [
          p,
          fs.statSync(path.join(home, 'x', p)).mode & 0o7777,
        ]),
      );
      for (const [p, m] of Object.entries(modes)) expect(m & 0o7000, `${p} has mode ${m.toString(8)}`).toBe(0);
      expect(modes['pkg/suid']! & 0o111).toBe(0o111); // the permission bits stay
      expect(modes['pkg/plain']).toBe(0o640);
    },
    60_000,
  );

  it('a bad max-size is refused by validate, located', async () => {
    const { home } = recipeHome(`download: { url: "${srv.base}/x", insecure: true, dest: ~/dest, max-size: lots }`);
    const r = await exec([process.execPath, BIN, 'validate', path.join(home, 'recipes')], home, 30_000);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/dl\.yaml:4:\d+: error: .*bad size "lots"/);
  }, 60_000);
});
