import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIndex } from '../helpers/pip-index.js';
import { tempHome, writeRecipes, type CliResult } from './helpers.js';
import { hostHasVenv, pipCli, python3 } from './pip-cli.js';

/**
 * Issue 17, item 4: an index that does not answer is probed once per host and run, and every step that
 * needs it fails at once with one line naming it — instead of pip retrying it per package and step. The
 * index here accepts TCP and never answers (the worst case: no connection error, only silence), or is a
 * port nothing listens on; a good local index (file:// and http://) still works.
 */
/** `setup …` as the pip tests run it, timed; 127.0.0.1 never through a proxy the host may set. */
async function cli(
  args: string[],
  home: string,
  env: Record<string, string> = { no_proxy: '127.0.0.1', NO_PROXY: '127.0.0.1' },
): Promise<CliResult & { seconds: number }> {
  const t0 = performance.now();
  const r = await pipCli(args, home, env);
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

/** Three pip steps (one per package) into one venv, all through the profile's index. */
const RECIPE = `name: stack
steps:
  - name: The venv
    venv: { path: ~/venvs/stack }
  - name: a
    pip: { venv: ~/venvs/stack, packages: [envkit-demo-a==1.0] }
  - name: b
    pip: { venv: ~/venvs/stack, packages: [envkit-demo-b] }
  - name: c
    pip: { venv: ~/venvs/stack, packages: [envkit-demo-c] }
`;

describe.skipIf(!hostHasVenv)('an index that does not answer (issue 17, item 4)', { timeout: 180_000 }, () => {
  const fixtures = tempHome('envkit-unreachable-');
  const recipes = writeRecipes(path.join(fixtures, 'recipes'), { 'stack.yaml': RECIPE });
  const indexDir = path.join(fixtures, 'index');
  let silent: net.Server;
  let silentPort = 0;
  let silentConnections = 0;
  let deadPort = 0;
  let good: http.Server;
  let goodPort = 0;

  const profile = (name: string, indexUrl: string): string => {
    const file = path.join(fixtures, `${name}.yaml`);
    fs.writeFileSync(file, `name: ${name}\npip: { index-url: "${indexUrl}", timeout: 3 }\n`);
    return file;
  };

  beforeAll(async () => {
    makeIndex(python3!, indexDir);
    // Accepts every connection and never says a word.
    silent = net.createServer(() => void silentConnections++);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
    // A port nothing listens on: taken from the system, then let go.
    deadPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    // The wheel index over HTTP: a folder's index.html for a folder, the file for a file.
    good = http.createServer((req, res) => {
      const p = path.join(indexDir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      const file = fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, 'index.html') : p;
      if (!file.startsWith(indexDir) || !fs.existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.endsWith('.html') ? 'text/html' : 'application/octet-stream' });
      if (req.method === 'HEAD') return void res.end();
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => good.listen(0, '127.0.0.1', resolve));
    goodPort = (good.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    silent.close();
    good.close();
  });

  it('a silent index: plan and run each ask it once, fail in seconds, and name it', async () => {
    const home = tempHome();
    const url = `http://127.0.0.1:${silentPort}/simple`;
    const args = ['--recipes', recipes, '--mirror', profile('silent', url)];

    const plan = await cli([...args, 'plan', 'stack'], home);
    expect(plan.seconds).toBeLessThan(30);
    expect(silentConnections).toBe(1); // one probe for the host, not one per step or package
    expect(plan.stdout.match(/did not answer \(no answer in 3 s\)/g)?.length).toBe(3); // each pip step says so

    const run = await cli([...args, 'run', 'stack'], home);
    expect(run.code).toBe(1);
    expect(run.seconds).toBeLessThan(30);
    expect(run.stderr).toContain(
      `index ${url} did not answer (no answer in 3 s): check the mirror profile (setup doctor), or --mirror NAME`,
    );
    expect(silentConnections).toBe(2); // this run's one probe: pip itself never connected
    console.log(`silent index: plan ${plan.seconds.toFixed(1)} s, run ${run.seconds.toFixed(1)} s`);
  });

  it('a port nothing listens on, and a file:// index that is not there: the run fails at once', async () => {
    const home = tempHome();
    const refused = `http://127.0.0.1:${deadPort}/simple`;
    const run = await cli(['--recipes', recipes, '--mirror', profile('refused', refused), 'run', 'stack'], home);
    expect(run.code).toBe(1);
    expect(run.seconds).toBeLessThan(30);
    expect(run.stderr).toContain(`index ${refused} did not answer (connection refused): check the mirror profile`);

    const missing = `file://${fixtures}/no-such-index/simple`;
    const gone = await cli(['--recipes', recipes, '--mirror', profile('gone', missing), 'run', 'stack'], home);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`index ${missing} did not answer (no such folder)`);
    console.log(
      `refused port: run ${run.seconds.toFixed(1)} s; missing file:// index: run ${gone.seconds.toFixed(1)} s`,
    );
  });

  it('a download or a clone from a host that does not answer fails at once, naming it', async () => {
    const home = tempHome();
    const base = `http://127.0.0.1:${deadPort}`;
    const more = writeRecipes(path.join(home, 'recipes'), {
      'fetch.yaml': `name: fetch
steps:
  - download: { url: "${base}/tool.tar.gz", dest: ~/tool.tar.gz, sha256: "${'0'.repeat(64)}" }
`,
      'clone.yaml': `name: clone
steps:
  - git: { repo: "${base}/org/repo.git", ref: main, dest: ~/src/repo }
`,
    });
    for (const [name, url] of [
      ['fetch', `${base}/tool.tar.gz`],
      ['clone', `${base}/org/repo.git`],
    ] as const) {
      const run = await cli(['--recipes', more, 'run', name], home);
      expect(run.code).toBe(1);
      expect(run.seconds).toBeLessThan(30);
      expect(run.stderr).toContain(`host ${url} did not answer (connection refused): check the mirror profile`);
    }
  });

  it('a good local index still works, over http and file://', async () => {
    for (const url of [`http://127.0.0.1:${goodPort}/simple`, `file://${indexDir}/simple`]) {
      const home = tempHome();
      const mirror = profile(url.startsWith('file') ? 'file' : 'http', url);
      const run = await cli(['--recipes', recipes, '--mirror', mirror, 'run', 'stack'], home);
      expect(run.code, run.stderr).toBe(0);
      const again = await cli(['--recipes', recipes, '--mirror', mirror, 'plan', 'stack', '--exit-code'], home);
      expect(again.code, again.stdout).toBe(0);
    }
  });
});
