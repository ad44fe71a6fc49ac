import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome } from './helpers.js';

interface Item {
  check: string;
  label: string;
  status: string;
  message: string;
  fix?: string;
}

/** A home with envkit's env file written, and these rc files. */
function home(rc: Record<string, string>): string {
  const h = tempHome('envkit-envfile-');
  const envFile = path.join(h, '.config', 'envkit', 'env.sh');
  fs.mkdirSync(path.dirname(envFile), { recursive: true });
  fs.writeFileSync(envFile, 'export DEMO=1\n');
  for (const [f, text] of Object.entries(rc)) {
    fs.mkdirSync(path.dirname(path.join(h, f)), { recursive: true });
    fs.writeFileSync(path.join(h, f), text);
  }
  return h;
}

async function envFileItem(h: string, shell: string): Promise<Item> {
  const res = await runCli(['doctor', '--check', 'env-file', '--json'], h, { SHELL: shell });
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { items: Item[] }).items.find((i) => i.check === 'env-file')!;
}

describe('doctor: is env.sh loaded by the shell', () => {
  it('a source line through ${XDG_CONFIG_HOME:-$HOME/.config} counts', async () => {
    const h = home({
      '.bashrc':
        '[ -f "${XDG_CONFIG_HOME:-$HOME/.config}/envkit/env.sh" ] && . "${XDG_CONFIG_HOME:-$HOME/.config}/envkit/env.sh"\n',
    });
    expect(await envFileItem(h, '/bin/bash')).toMatchObject({ status: 'ok', message: 'loaded by ~/.bashrc' });
  });

  it('fish: ~/.profile does not count; the fix names fish’s own file; bass in it counts', async () => {
    const h = home({ '.profile': '. "$HOME/.config/envkit/env.sh"\n' });
    const item = await envFileItem(h, '/usr/bin/fish');
    expect(item.status).toBe('warn');
    expect(item.message).toContain('not loaded by fish: fish cannot read env.sh (POSIX sh) itself');
    expect(item.fix).toBe(
      'add this line to ~/.config/fish/conf.d/envkit.fish (needs the bass plugin; envkit writes no fish env file): bass source "$HOME/.config/envkit/env.sh"',
    );
    fs.mkdirSync(path.join(h, '.config', 'fish', 'conf.d'), { recursive: true });
    fs.writeFileSync(
      path.join(h, '.config', 'fish', 'conf.d', 'envkit.fish'),
      'bass source "$HOME/.config/envkit/env.sh"\n',
    );
    expect(await envFileItem(h, '/usr/bin/fish')).toMatchObject({
      status: 'ok',
      message: 'loaded by ~/.config/fish/conf.d/envkit.fish',
    });
  });
});
