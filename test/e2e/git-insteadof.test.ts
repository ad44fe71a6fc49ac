import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * The reachability probe asks the URL git will really fetch from: the user's own `url.X.insteadOf` (in
 * ~/.gitconfig) applies, as it does to the clone; a rewrite to a host that does not answer is named.
 */
describe('git steps and the url.insteadOf of the user’s git config', { timeout: 120_000 }, () => {
  const fixtures = tempHome('envkit-git-insteadof-');
  const bare = path.join(fixtures, 'repo.git');
  let dead = '';
  const g = (...args: string[]): string =>
    execFileSync('git', args, {
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
    });

  beforeAll(async () => {
    dead = `http://127.0.0.1:${await deadPort()}`;
    const work = path.join(fixtures, 'work');
    g('init', '--quiet', '--initial-branch=main', work);
    fs.writeFileSync(path.join(work, 'README'), 'hello\n');
    g('-C', work, 'add', 'README');
    g('-C', work, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '--quiet', '-m', 'one');
    g('clone', '--quiet', '--bare', work, bare);
  });

  const clone = (home: string, repo: string): string =>
    writeRecipes(path.join(home, 'recipes'), {
      'clone.yaml': `name: clone\nsteps:\n  - git: { repo: "${repo}", ref: main, dest: ~/src/repo }\n`,
    });

  it('clones through an insteadOf from a URL that does not answer to a bare repo on disk, then converges', async () => {
    const home = tempHome();
    fs.writeFileSync(path.join(home, '.gitconfig'), `[url "${bare}"]\n\tinsteadOf = ${dead}/org/repo.git\n`);
    const recipes = clone(home, `${dead}/org/repo.git`);
    const run = await runCli(['--recipes', recipes, 'run', 'clone'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'src/repo/README'), 'utf8')).toBe('hello\n');
    const again = await runCli(['--recipes', recipes, 'plan', 'clone', '--exit-code'], home);
    expect(again.code, again.stdout).toBe(0);
  });

  it('an insteadOf to a host that does not answer: the line names the rewritten URL and the one written', async () => {
    const home = tempHome();
    fs.writeFileSync(
      path.join(home, '.gitconfig'),
      `[url "${dead}/elsewhere/"]\n\tinsteadOf = https://git.example.invalid/\n`,
    );
    const recipes = clone(home, 'https://git.example.invalid/org/repo.git');
    const run = await runCli(['--recipes', recipes, 'run', 'clone'], home);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `host ${dead}/elsewhere/org/repo.git did not answer (connection refused); git fetches https://git.example.invalid/org/repo.git from there (url.…insteadOf)`,
    );
  });
});
