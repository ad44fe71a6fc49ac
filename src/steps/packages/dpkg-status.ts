/** What dpkg's status file says is installed: package names, and the names they provide. */
export interface DpkgStatus {
  installed: Set<string>;
  provided: Map<string, string>;
}

/**
 * Parses /var/lib/dpkg/status (read once per invocation). A package counts when its Status is
 * `install ok installed`; `Provides:` names (virtual packages) count too.
 */
export function parseDpkgStatus(text: string): DpkgStatus {
  const installed = new Set<string>();
  const provided = new Map<string, string>();
  for (const para of text.split(/\n\s*\n/)) {
    let pkg = '';
    let status = '';
    let provides = '';
    let arch = '';
    let field = '';
    for (const line of para.split('\n')) {
      if (line.startsWith(' ') || line.startsWith('\t')) {
        if (field === 'provides') provides += ' ' + line.trim();
        continue;
      }
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      field = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (field === 'package') pkg = value;
      else if (field === 'status') status = value;
      else if (field === 'provides') provides = value;
      else if (field === 'architecture') arch = value;
    }
    if (!pkg || !/(^|\s)installed$/.test(status) || !status.startsWith('install ')) continue;
    installed.add(pkg);
    if (arch && arch !== 'all') installed.add(`${pkg}:${arch}`);
    for (const p of provides.split(',')) {
      const name = p.trim().split(/\s|\(/)[0];
      if (name) provided.set(name, pkg);
    }
  }
  return { installed, provided };
}

/** Is `name` (optionally `name:arch`, or a virtual name) installed? Returns the providing package, or undefined. */
export function isInstalled(status: DpkgStatus, name: string): string | undefined {
  if (status.installed.has(name)) return name;
  return status.provided.get(name.split(':')[0]!);
}
