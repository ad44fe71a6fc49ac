import net from 'node:net';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { proxyVar, shownUrl, unreachable, unreachableLine } from '../../src/util/reach.js';

describe('util/reach: one probe per host and run', () => {
  it('shows a URL without its credentials or query', () => {
    expect(shownUrl('https://user:token@mirror.example/simple/?x=1')).toBe('https://mirror.example/simple/');
    expect(unreachableLine('index', 'https://u:p@h.example/simple', 'connection refused')).toBe(
      'index https://h.example/simple did not answer (connection refused): check the mirror profile (setup doctor), or --mirror NAME',
    );
  });

  it('probes http(s) and file:// only, and nothing a proxy stands in front of', async () => {
    expect(await unreachable('git@github.com:org/repo.git')).toBeNull();
    expect(await unreachable('ssh://git@host/repo.git')).toBeNull();
    expect(await unreachable('http://10.255.255.1:1/simple', { env: { http_proxy: 'http://proxy:3128' } })).toBeNull();
    expect(await unreachable(pathToFileURL(os.tmpdir()).href)).toBeNull();
    expect(await unreachable('file:///no/such/envkit/index')).toBe('no such folder');
    expect(await unreachable('file:///no/such/envkit/file', { files: false })).toBeNull();
  });

  it('a refused port answers at once, and the answer is kept for the host', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect(await unreachable(`http://127.0.0.1:${port}/simple`, { env: {} })).toBe('connection refused');
    // Now something listens there, but this run already knows the host did not answer.
    const server = net.createServer((c) => c.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect(await unreachable(`http://127.0.0.1:${port}/other`, { env: {} })).toBe('connection refused');
    server.close();
  });

  it('any HTTP status is an answer; silence is not', async () => {
    const ok = net.createServer((c) => c.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n'));
    const silent = net.createServer(() => undefined);
    await Promise.all([ok, silent].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
    const port = (s: net.Server): number => (s.address() as net.AddressInfo).port;
    expect(await unreachable(`http://127.0.0.1:${port(ok)}/simple`, { env: {} })).toBeNull();
    const t0 = performance.now();
    expect(await unreachable(`http://127.0.0.1:${port(silent)}/simple`, { env: {}, timeoutMs: 300 })).toBe(
      'no answer in 0.3 s',
    );
    expect(performance.now() - t0).toBeLessThan(5000);
    ok.close();
    silent.close();
  });
});

describe('proxyVar: the proxy and the variable that named it, in curl’s order', () => {
  const u = new URL('https://files.example.com/x');
  it('https_proxy, HTTPS_PROXY, then all_proxy, ALL_PROXY; no_proxy sends a host direct', () => {
    expect(proxyVar(u, { ALL_PROXY: 'http://a:1' })).toEqual({ name: 'ALL_PROXY', url: 'http://a:1' });
    expect(proxyVar(u, { all_proxy: 'http://b:1', ALL_PROXY: 'http://a:1' })?.name).toBe('all_proxy');
    expect(proxyVar(u, { HTTPS_PROXY: 'http://c:1', all_proxy: 'http://b:1' })?.name).toBe('HTTPS_PROXY');
    expect(proxyVar(u, { https_proxy: '', ALL_PROXY: 'http://a:1' })).toBeUndefined();
    expect(proxyVar(u, { ALL_PROXY: 'http://a:1', no_proxy: 'example.com' })).toBeUndefined();
  });
});
