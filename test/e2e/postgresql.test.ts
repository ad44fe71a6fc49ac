import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome } from './helpers.js';

const canRun = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get') && !fs.existsSync('/run/systemd/system');

/** The bundled postgresql recipe for real: server installed and started, a user and a database from variables. */
describe.skipIf(!canRun)('postgresql recipe (real PostgreSQL, as root)', () => {
  it('creates a user whose password comes from a secret and works, and a database it owns; then nothing to do', async () => {
    const home = tempHome();
    const id = `envkit_${randomBytes(4).toString('hex')}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const env = { POSTGRES_PASSWORD: password };
    const set = ['--set', `postgresql.user=${id}`, '--set', `postgresql.database=${id}`];
    try {
      const run = await runCli(['run', 'postgresql', ...set], home, env);
      expect(run.code, run.stderr).toBe(0);
      const out = execFileSync(
        'psql',
        ['-h', '127.0.0.1', '-U', id, '-d', id, '-tAc', 'select current_user, current_database()'],
        { env: { ...process.env, PGPASSWORD: password }, encoding: 'utf8' },
      );
      expect(out.trim()).toBe(`${id}|${id}`);
      const again = await runCli(['plan', 'postgresql', ...set, '--exit-code'], home, env);
      expect(again.code, again.stdout).toBe(0);
      // The password never reached a log, the journal or the output.
      expect(run.stdout + run.stderr + again.stdout).not.toContain(password);
      const state = path.join(home, '.local', 'state', 'envkit');
      for (const f of fs.readdirSync(path.join(state, 'logs')))
        expect(fs.readFileSync(path.join(state, 'logs', f), 'utf8')).not.toContain(password);
      expect(fs.readFileSync(path.join(state, 'journal.jsonl'), 'utf8')).not.toContain(password);
    } finally {
      const sql = `DROP DATABASE IF EXISTS ${id}; DROP ROLE IF EXISTS ${id};`;
      try {
        execFileSync(
          'runuser',
          ['-u', 'postgres', '--', 'psql', '-q', '-c', sql.split(';')[0]!, '-c', sql.split(';')[1]!],
          { cwd: '/tmp', stdio: 'ignore' },
        );
      } catch {
        /* the server may not be there if the run failed early */
      }
    }
  }, 600_000);
});
