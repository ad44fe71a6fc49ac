import { markerText, MARKER } from './extract.js';
import type { ShellStep } from '../types.js';
import type { DownloadConfig } from './config.js';

/**
 * A download step as bash (`setup export sh`): fetched with curl (else wget) from `url` (the profile's
 * rewrite applied when exporting) into a temp file beside its place, verified by its sha256 (or sha512)
 * before anything is kept, then renamed into `dest` or unpacked into `extract` with the same marker setup
 * writes there. A step with no checksum in the recipe is not exported: nothing is downloaded unverified.
 */
export function downloadShell(c: DownloadConfig, url: string, q: (s: string) => string): ShellStep {
  const pin = c.sha256
    ? { tool: 'sha256sum', digest: c.sha256 }
    : c.sha512
      ? { tool: 'sha512sum', digest: c.sha512 }
      : undefined;
  if (!pin)
    throw new Error(
      c.checksumUrl
        ? 'a checksum-url download cannot be exported: write its sha256 into the recipe'
        : 'a download without sha256 cannot be exported: nothing is downloaded unverified',
    );
  const sum = (file: string): string => `"$(${pin.tool} < ${file} | cut -d' ' -f1)" = ${q(pin.digest)}`;
  const mode = c.mode === undefined ? undefined : c.mode.toString(8).padStart(4, '0');
  const marker = (dir: string): string => q(`${dir}/${MARKER}`);
  // The marker setup writes: the file's sha256 (known here when pinned; else read where the script runs), URL and strip.
  const tail = markerText({ sha256: '', url: c.url, strip: c.strip }).slice(1);
  const wantMarker = c.sha256 ? q(markerText({ sha256: c.sha256, url: c.url, strip: c.strip })) : undefined;
  const check: string[] = [];
  if (c.dest)
    check.push(`[ -f ${q(c.dest)} ] && [ ${sum(q(c.dest))} ]${mode ? ` && _mode_is ${q(c.dest)} ${mode}` : ''}`);
  if (c.extract)
    check.push(
      wantMarker
        ? `_same ${marker(c.extract)} ${wantMarker}`
        : `[ -f ${marker(c.extract)} ] && [ "$(tail -n +2 ${marker(c.extract)})" = ${q(tail.replace(/\n$/, ''))} ]`,
    );
  const place = c.dest ?? `${c.extract}.envkit-download`;
  const tmp = `"$tmp"`;
  const apply = [
    `mkdir -p "$(dirname ${q(place)})"`,
    `tmp=$(mktemp "$(dirname ${q(place)})/.envkit-tmp-XXXXXX")`,
    `trap 'rm -rf "$tmp" "\${x:-}"' EXIT`,
    `if command -v curl >/dev/null; then curl -fsSL --retry 2 -o ${tmp} ${q(url)}; else wget -q -O ${tmp} ${q(url)}; fi`,
    `[ ${sum(tmp)} ] || { echo ${q(`${url} served another file than the recipe pins (${pin.tool.replace('sum', '')} ${pin.digest}): nothing was kept`)} >&2; exit 1; }`,
  ];
  if (c.dest) {
    apply.push(
      mode ? `chmod ${mode} ${tmp}` : `chmod "$(printf '%04o' $((0666 & ~0$(umask))))" ${tmp}`,
      `cp ${tmp} ${q(`${c.dest}.envkit-new`)} && mv -f ${q(`${c.dest}.envkit-new`)} ${q(c.dest)}`,
    );
  }
  if (c.extract) {
    const e = q(c.extract);
    apply.push(
      `if [ -e ${e} ] && [ ! -e ${marker(c.extract)} ] && [ -n "$(ls -A ${e})" ]; then echo ${q(`${c.extract} holds other files: not unpacking over them`)} >&2; exit 1; fi`,
      `x=$(mktemp -d "$(dirname ${e})/.envkit-tmp-XXXXXX")`,
      `case "$(head -c 4 ${tmp} | od -An -tx1 | tr -d ' ')" in`,
      `  504b0304) command -v unzip >/dev/null || { echo 'unzip is needed to unpack a zip archive' >&2; exit 1; }`,
      `    ${c.strip ? `echo 'a zip archive with strip cannot be unpacked by this script: run setup' >&2; exit 1` : `unzip -q ${tmp} -d "$x"`} ;;`,
      `  *) tar -x --no-same-owner --no-same-permissions -f ${tmp} -C "$x"${c.strip ? ` --strip-components=${c.strip}` : ''} ;;`,
      'esac',
      wantMarker
        ? `printf '%s' ${wantMarker} >"$x"/${q(MARKER)}`
        : `{ sha256sum < ${tmp} | cut -d' ' -f1; printf '%s' ${q(tail)}; } >"$x"/${q(MARKER)}`,
      `chmod 755 "$x"; rm -rf ${e}; mv "$x" ${e}`,
    );
  }
  return {
    check: check.join(' && '),
    apply: apply.join('\n'),
    limits: [
      'download: fetched with curl or wget without setup’s size and speed limits; archives are unpacked by tar or unzip, without setup’s checks for entries that leave the folder',
    ],
  };
}
