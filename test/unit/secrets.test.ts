import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { asRoot, SOURCE_AND_EXEC } from '../../src/run/as-root.js';
import { basicHeader, credentialEnv, publicUrl, splitUserinfo } from '../../src/steps/git/credentials.js';
import { gitOptions } from '../../src/steps/git.js';
import { addSecret, forgetSecrets, redact, redactDeep, secretEncodings } from '../../src/util/redact.js';
import { BASH_MANAGED } from '../../src/util/shell.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-unit-secrets-'));
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,8}$/;
/** Environment values: anything but NUL (which no environment can hold). */
const value = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom("'", '"', '$', '\\', '`', '\n', ' ', '!', '*', '%', '😀', 'é'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    maxLength: 30,
  })
  .filter((v) => !v.includes('\0'));

describe('asRoot', () => {
  beforeEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
  });

  it('puts no env value in argv; root bash sources the private file, deletes it and execs the command with the env', async () => {
    let files = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.stringMatching(NAME).filter((n) => !BASH_MANAGED.has(n)),
          value,
          { minKeys: 1, maxKeys: 5 },
        ),
        async (env) => {
          const names = Object.keys(env);
          // Prints each variable as the command sees it (NUL-separated; "-" when unset). The loop variable's name
          // is longer than any NAME, so it never shadows one (a var named `k` once did).
          const cmd = [
            'bash',
            '-c',
            'for envkit_name; do if [ -n "${!envkit_name+x}" ]; then printf "=%s\\0" "${!envkit_name}"; else printf -- "-\\0"; fi; done',
            'show',
            ...names,
          ];
          const r = await asRoot(cmd, env, false, tmp);
          try {
            // argv is fixed text plus the file's name and the command: no value anywhere.
            expect(r.argv.slice(0, 7)).toEqual(['sudo', '-n', '--', 'bash', '-c', SOURCE_AND_EXEC, 'envkit-env']);
            expect(r.argv.slice(8)).toEqual(cmd);
            const file = r.argv[7]!;
            expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
            expect((fs.statSync(path.dirname(file)).mode & 0o777).toString(8)).toBe('700');
            // What root's side does, run for real (without sudo): the command sees every value exactly.
            const out = execFileSync(r.argv[3]!, r.argv.slice(4), {
              encoding: 'utf8',
              env: { PATH: process.env.PATH },
            });
            expect(out.split('\0').slice(0, -1)).toEqual(names.map((k) => `=${env[k]}`));
            expect(fs.existsSync(file)).toBe(false);
            files++;
          } finally {
            await r.dispose();
          }
          expect(fs.readdirSync(tmp)).toEqual([]);
        },
      ),
      { numRuns: Number(process.env.ENVKIT_FUZZ_RUNS ?? 25) },
    );
    expect(files).toBe(Number(process.env.ENVKIT_FUZZ_RUNS ?? 25));
  }, 300_000);

  it('refuses names bash sets itself (the loader refuses them in recipes first)', async () => {
    await expect(asRoot(['id'], { UID: '0' }, false, tmp)).rejects.toThrow(/UID cannot be passed to a root step/);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('as root: the argv unchanged; without env: plain sudo -n', async () => {
    expect((await asRoot(['id'], { A: 'b' }, true, tmp)).argv).toEqual(['id']);
    expect((await asRoot(['id'], {}, false, tmp)).argv).toEqual(['sudo', '-n', '--', 'id']);
  });

  it('a failing command still removes the file (dispose), and a value never runs as code', async () => {
    const r = await asRoot(['false'], { X: '$(touch /tmp/envkit-pwned)`touch /tmp/envkit-pwned`' }, false, tmp);
    expect(spawnSync(r.argv[3]!, r.argv.slice(4)).status).toBe(1);
    await r.dispose();
    expect(fs.readdirSync(tmp)).toEqual([]);
    expect(fs.existsSync('/tmp/envkit-pwned')).toBe(false);
  });
});

describe('git credentials', () => {
  it('splits userinfo off http(s) URLs only', () => {
    expect(splitUserinfo('https://u:p%40ss@host/a.git')).toEqual({ url: 'https://host/a.git', userinfo: 'u:p%40ss' });
    expect(splitUserinfo('http://tok@127.0.0.1:8080/')).toEqual({ url: 'http://127.0.0.1:8080/', userinfo: 'tok' });
    expect(splitUserinfo('git@github.com:org/x.git')).toEqual({ url: 'git@github.com:org/x.git' });
    expect(splitUserinfo('https://host/a@b.git')).toEqual({ url: 'https://host/a@b.git' }); // '@' in the path is no userinfo
    expect(basicHeader('u:p%40ss')).toBe(`Authorization: Basic ${Buffer.from('u:p@ss').toString('base64')}`);
  });

  it('argv holds no credential; the environment scopes one header per URL (the repo: its host)', () => {
    const profile = {
      name: 'm',
      git: { rewrite: { 'https://github.com/': 'https://bot:mirror-secret@mirror.example/git/' } },
    };
    const argv = gitOptions(profile, 'https://me:repo-secret@host.example/org/x.git').join(' ');
    expect(argv).toContain('url.https://mirror.example/git/.insteadOf=https://github.com/');
    expect(argv).not.toMatch(/secret|bot:|me:/);
    expect(credentialEnv(profile, 'https://me:repo-secret@host.example/org/x.git')).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.https://host.example/.extraHeader',
      GIT_CONFIG_VALUE_0: basicHeader('me:repo-secret'),
      GIT_CONFIG_KEY_1: 'http.https://mirror.example/git/.extraHeader',
      GIT_CONFIG_VALUE_1: basicHeader('bot:mirror-secret'),
    });
    expect(credentialEnv({ name: 'none' }, 'https://host/x.git')).toEqual({});
    // The password and the header's base64 are masked from then on.
    expect(redact(`pw mirror-secret, header ${Buffer.from('bot:mirror-secret').toString('base64')}`)).toBe(
      'pw ***, header ***',
    );
    expect(publicUrl('https://u:another-secret@h/x')).toBe('https://h/x');
    expect(redact('another-secret')).toBe('***');
  });
});

describe('redact', () => {
  it('masks every encoding the tool writes of a secret', () => {
    fc.assert(
      fc.property(
        value.filter((v) => v.length >= 4),
        (s) => {
          // One secret at a time: an earlier run's secret (or one of its lines) may overlap this one's
          // surroundings, which masks more than `a *** b` — right for the tool, wrong for this equality.
          forgetSecrets();
          addSecret(s);
          const forms = [
            s,
            `'${s.replace(/'/g, `'\\''`)}'`,
            JSON.stringify(s),
            s.replace(/\$/g, '$$$$'),
            encodeURIComponent(s),
          ];
          for (const f of forms) expect(redact(`<${f}>`)).not.toContain(s);
          for (const f of secretEncodings(s)) expect(redact(`a ${f} b`)).toBe('a *** b');
          // As data: JSON stays valid and holds no form of it.
          const masked = JSON.stringify(redactDeep({ [s]: [s, `x${s}y`, { k: s }] }));
          expect(() => JSON.parse(masked)).not.toThrow();
          for (const f of secretEncodings(s)) expect(masked).not.toContain(f);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an earlier secret overlapping the text around a later one still leaves no form of either', () => {
    forgetSecrets();
    addSecret('x\n 𝅘𝅥𝅲');
    addSecret('𝅘𝅥𝅲');
    const out = redact('a 𝅘𝅥𝅲 b');
    expect(out).not.toContain('𝅘𝅥𝅲');
    expect(out.startsWith('a')).toBe(true);
  });
});
