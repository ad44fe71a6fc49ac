/**
 * Errors the operating system raises (EACCES on a read-only HOME, ENOTDIR where a file stands in for a
 * folder, EROFS…) are facts about the machine, not bugs: each becomes one line naming what setup tried,
 * the path and the reason, with a hint, instead of "internal error". Any Node error carrying an errno
 * code and a syscall qualifies, wherever it was thrown.
 */

const REASONS: Record<string, [reason: string, hint: string]> = {
  EACCES: [
    'permission denied',
    'check the owner and permissions of that folder, or set XDG_CONFIG_HOME, XDG_STATE_HOME and XDG_CACHE_HOME to writable folders',
  ],
  EPERM: ['operation not permitted', 'check the owner and permissions of that folder'],
  EROFS: [
    'read-only file system',
    'point HOME or XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_CACHE_HOME at a writable folder',
  ],
  ENOTDIR: [
    'a file stands where a folder is needed',
    'move that file away, or point HOME / the XDG_* variables elsewhere',
  ],
  EISDIR: ['a folder stands where a file is needed', 'move that folder away'],
  EEXIST: ['a file already exists there', 'move it away, or pick another path'],
  ENOENT: ['no such file or folder', 'check the path'],
  ENOSPC: ['no space left on the device', 'free some space, or point XDG_CACHE_HOME / XDG_STATE_HOME at a larger disk'],
  EDQUOT: ['disk quota exceeded', 'free some space'],
  ELOOP: ['too many symbolic links', 'check the path for a symlink loop'],
  ENAMETOOLONG: ['the path is too long', 'use a shorter path'],
  EMFILE: ['too many open files', 'raise the limit (ulimit -n)'],
  EBUSY: ['the file is busy', 'try again when whatever holds it is done'],
  EXDEV: ['cannot move across file systems', 'keep the folders on one file system'],
};

const VERBS: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  scandir: 'list',
  stat: 'read',
  lstat: 'read',
  copyfile: 'copy',
  symlink: 'create the link',
  chmod: 'change the mode of',
  fsync: 'write',
  access: 'reach',
};

/** `permission denied (EACCES)`: an errno code in words, with the code. */
export function errnoText(code: string | undefined): string {
  return code && REASONS[code] ? `${REASONS[code][0]} (${code})` : (code ?? 'unknown error');
}

/** One line (and a hint) for an operating-system error, or undefined when `e` is not one. */
export function systemErrorMessage(e: unknown): { message: string; hint?: string } | undefined {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (
    !(e instanceof Error) ||
    typeof err.code !== 'string' ||
    !/^E[A-Z]+$/.test(err.code) ||
    typeof err.syscall !== 'string'
  )
    return undefined;
  const [reason, hint] = REASONS[err.code] ?? [err.message.replace(/^[A-Z]+: /, '').split(',')[0]!, undefined];
  const verb = VERBS[err.syscall] ?? err.syscall;
  const where = err.path ? ` ${err.path}${err.dest ? ` to ${err.dest}` : ''}` : '';
  return { message: `cannot ${verb}${where}: ${reason} (${err.code})`, hint };
}
