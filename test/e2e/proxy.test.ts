import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawTar, serve, sha256 } from '../helpers/archives.js';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * Downloads go through http_proxy as curl's would (Node 20's fetch alone ignores it). The proxy here is
 * real (absolute-form requests, forwarded), and the file's host exists only behind it: `.invalid` names
 * never resolve, so a download that went direct could not succeed.
 */
describe('downloads behind an HTTP proxy', () => {
  const tar = rawTar([{ path: 'tool-1.0/bin/tool', body: '#!/bin/sh\necho tool 1.0\n', mode: 0o755 }]);
  let origin: Awaited<ReturnType<typeof serve>>;
  let proxy: http.Server;
  let proxyUrl = '';
  const seen: string[] = [];

  beforeAll(async () => {
    origin = await serve({ '/tool-1.0.tar.gz': tar });
    const to = new URL(origin.base);
    proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const u = new URL(req.url ?? '/');
      if (u.hostname !== 'files.example.invalid') return void res.writeHead(502).end('unknown host\n');
      const up = http.request(
        { host: to.hostname, port: to.port, path: u.pathname, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await origin.close();
    proxy.closeAllConnections();
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  const recipe = (): string =>
    [
      'name: behind',
      'steps:',
      `  - download: { url: "http://files.example.invalid/tool-1.0.tar.gz", sha256: ${sha256(tar)}, extract: ~/tool, strip: 1 }`,
      '',
    ].join('\n');

  it('a download goes through http_proxy, and the plan after it is a no-op', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), { 'behind.yaml': recipe() });
    const env = { http_proxy: proxyUrl, no_proxy: '' };
    const run = await runCli(['run', 'behind', '--recipes', recipes], home, env);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'tool', 'bin', 'tool'), 'utf8')).toContain('tool 1.0');
    expect(seen).toContain('GET http://files.example.invalid/tool-1.0.tar.gz');
    const plan = await runCli(['plan', 'behind', '--recipes', recipes, '--exit-code'], home, env);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('a proxy that does not answer is named in the failure, with what to check', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), { 'behind.yaml': recipe() });
    const dead = await serve({});
    const deadUrl = dead.base;
    await dead.close();
    const run = await runCli(['run', 'behind', '--recipes', recipes], home, { http_proxy: deadUrl, no_proxy: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot reach files.example.invalid through the proxy ${deadUrl}/`);
    expect(run.stderr).toContain('check the proxy (http_proxy), or add files.example.invalid to no_proxy');
  });

  it('no_proxy sends the host direct (and so it is not found)', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'recipes'), { 'behind.yaml': recipe() });
    const before = seen.length;
    const run = await runCli(['run', 'behind', '--recipes', recipes], home, {
      http_proxy: proxyUrl,
      no_proxy: 'example.invalid',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/files\.example\.invalid.*(host not found|ENOTFOUND|EAI_AGAIN)/);
    expect(seen.length).toBe(before);
  });
});

/**
 * A server that closes the connection after each file (HTTP/1.0: python's http.server, many mirrors), read
 * while earlier files are still being written: undici 6.25+ and 7.x threw an uncatchable AssertionError
 * there (nodejs/undici#5360), killing setup mid-run about one download in four. Six files, two runs.
 */
describe('downloads from a server that closes each connection', () => {
  it('all arrive, one at a time and fetched ahead', async () => {
    const home = tempHome();
    const files = path.join(home, 'served');
    fs.mkdirSync(files);
    const steps: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const body = randomBytes(3 << 20);
      fs.writeFileSync(path.join(files, `blob${i}.bin`), body);
      steps.push(
        `  - download: { url: "URL/blob${i}.bin", sha256: ${createHash('sha256').update(body).digest('hex')}, dest: ~/out/blob${i}.bin }`,
      );
    }
    const server = spawn('python3', ['-m', 'http.server', '0', '--bind', '127.0.0.1'], { cwd: files });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        let out = '';
        const seen = (d: Buffer): void => {
          out += d.toString();
          const m = /port (\d+)/.exec(out);
          if (m) resolve(m[1]!);
        };
        server.stdout.on('data', seen);
        server.stderr.on('data', seen);
        server.on('exit', () => reject(new Error(`http.server exited: ${out}`)));
      });
      const text = `name: closing\nsteps:\n${steps.join('\n').replaceAll('URL', `http://127.0.0.1:${port}`)}\n`;
      const recipes = writeRecipes(path.join(home, 'recipes'), { 'closing.yaml': text });
      for (const jobs of [['--jobs', '0'], []]) {
        fs.rmSync(path.join(home, 'out'), { recursive: true, force: true });
        fs.rmSync(path.join(home, '.cache', 'envkit'), { recursive: true, force: true });
        const run = await runCli(['run', 'closing', '--recipes', recipes, ...jobs], home, { no_proxy: '*' });
        expect(run.stderr).not.toContain('AssertionError');
        expect(run.code, run.stderr).toBe(0);
        expect(fs.readdirSync(path.join(home, 'out')).length).toBe(6);
      }
    } finally {
      server.kill();
    }
  });
});

/** The failure names the proxy variable that chose the proxy, and a proxy that refuses a tunnel says so. */
describe('which proxy, and a proxy that refuses CONNECT', () => {
  const recipe = (url: string): string =>
    `name: behind\nsteps:\n  - download: { url: "${url}", sha256: "${'0'.repeat(64)}", dest: ~/tool.tar.gz }\n`;

  it('a dead ALL_PROXY (or all_proxy) is named as such, not as http_proxy', async () => {
    const dead = await serve({});
    const deadUrl = dead.base;
    await dead.close();
    for (const name of ['ALL_PROXY', 'all_proxy']) {
      const home = tempHome();
      const recipes = writeRecipes(path.join(home, 'recipes'), {
        'behind.yaml': recipe('http://files.example.invalid/tool.tar.gz'),
      });
      const run = await runCli(['run', 'behind', '--recipes', recipes], home, { [name]: deadUrl, no_proxy: '' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot reach files.example.invalid through the proxy ${deadUrl}/`);
      expect(run.stderr).toContain(`check the proxy (${name}), or add files.example.invalid to no_proxy`);
    }
  });

  it('an https download through a proxy that answers CONNECT with 403: its status, and a hint', async () => {
    const refusing = http.createServer((_req, res) => void res.writeHead(403).end());
    refusing.on('connect', (_req, socket: import('node:net').Socket) =>
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'),
    );
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    try {
      const home = tempHome();
      const recipes = writeRecipes(path.join(home, 'recipes'), {
        'behind.yaml': recipe('https://files.example.invalid/tool.tar.gz'),
      });
      const run = await runCli(['run', 'behind', '--recipes', recipes], home, { https_proxy: proxyUrl, no_proxy: '' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `cannot reach files.example.invalid through the proxy ${proxyUrl}/: the proxy refused the tunnel (CONNECT files.example.invalid:443 answered 403)`,
      );
      expect(run.stderr).not.toMatch(/: 0\b/);
      expect(run.stderr).not.toContain('gave up after');
      expect(run.stderr).toContain('https_proxy');
    } finally {
      refusing.closeAllConnections();
      await new Promise<void>((r) => refusing.close(() => r()));
    }
  });
});
