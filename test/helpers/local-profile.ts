/**
 * The mirror profile most end-to-end tests use: pip from the wheel index at `<root>/index` (makeIndex),
 * github.com (https and `git@github.com:` URLs) from the bare repos at `<root>/mirror/github.com` (mirrorRepo), and downloads from
 * `https://downloads.example.invalid/` served by `serve` under `<base>/dl/`.
 */
export function localProfile(root: string, base: string): string {
  return [
    'name: local',
    `pip: { index-url: "file://${root}/index/simple" }`,
    `git: { rewrite: { "https://github.com/": "file://${root}/mirror/github.com/", "git@github.com:": "file://${root}/mirror/github.com/" } }`,
    `urls: { rewrite: { "https://downloads.example.invalid/": "${base}/dl/" } }`,
    '',
  ].join('\n');
}
