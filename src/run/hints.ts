/** A hint for a failed step, when its exit code or last lines show a known cause. */
export function failureHint(exitCode: number | null, tail: readonly string[]): string | undefined {
  const text = tail.join('\n');
  if (/No space left on device/i.test(text)) return 'the disk is full: free some space (df -h) and run again';
  if (
    /No CMAKE_(C|CXX)_COMPILER could be found|cc: (command )?not found|gcc: (command )?not found|g\+\+: (command )?not found|C compiler cannot create executables/i.test(
      text,
    )
  ) {
    return 'no working compiler: install one (e.g. `setup run build-tools`) and run again';
  }
  if (/not our ref|reference is not a tree|unadvertised object|did not send all necessary objects/i.test(text))
    return 'the commit asked for (a locked one?) is not in the repository or mirror git fetched from: lock again, or point --mirror at one that has it';
  if (exitCode === 127 || /command not found|: not found$/m.test(text))
    return 'a program is missing: install it, or add the recipe that provides it to `requires`';
  if (/Permission denied|EACCES|Operation not permitted|are you root\?/i.test(text))
    return 'permission denied: run setup as root, or mark the step `root: true`';
  if (
    /Could not resolve host|Temporary failure in name resolution|Network is unreachable|Connection refused|Connection timed out|Failed to connect|timed out/i.test(
      text,
    )
  ) {
    return 'the network or a server is unreachable: check the connection, or pick a mirror with --mirror';
  }
  return undefined;
}
