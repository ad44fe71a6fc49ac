import { templatesInShellQuotes } from '../recipe/template.js';
import { argvToString } from '../util/shell.js';
import type { Command } from './types.js';

/** The argv that runs a command: `bash -e -o pipefail -c …` for a shell string. */
export function commandArgv(cmd: Command): string[] {
  return 'shell' in cmd ? ['bash', '-e', '-o', 'pipefail', '-c', cmd.shell] : [...cmd.argv];
}

/** A command as people read it in plans and errors. */
export function commandText(cmd: Command): string {
  return 'shell' in cmd ? cmd.shell : argvToString(cmd.argv);
}

/** Load errors for templates inside quotes in a shell command (see templatesInShellQuotes). */
export function quotedTemplates(cmd: string, path: (string | number)[]): { path: (string | number)[]; needle: string; nth: number; message: string; hint: string }[] {
  return templatesInShellQuotes(cmd).map((at) => ({
    path,
    needle: cmd.slice(at, cmd.indexOf('}}', at) + 2 || at + 2),
    nth: cmd.slice(0, at).split(cmd.slice(at, cmd.indexOf('}}', at) + 2 || at + 2)).length - 1,
    message: 'a template inside quotes in a shell command: values are shell-quoted for you, and inside quotes a value could run as code',
    hint: 'remove the quotes around the template: echo {{ name }}, not echo "{{ name }}"',
  }));
}
