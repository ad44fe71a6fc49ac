import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Header } from 'tar';

/** One entry of a hand-made tarball: any name (hostile ones included), a type, a body or a link target. */
export interface TarItem {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  body?: string;
  linkpath?: string;
  mode?: number;
}

/** A tarball written block by block with node-tar's Header, so names are exactly as given (`../x`, `/abs`). */
export function rawTar(items: TarItem[]): Buffer {
  const blocks: Buffer[] = [];
  for (const it of items) {
    const body = Buffer.from(it.body ?? '');
    const type = it.type ?? 'File';
    const h = new Header({
      path: it.path,
      type,
      size: type === 'File' ? body.length : 0,
      linkpath: it.linkpath,
      mode: it.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A zip with entries named exactly as given (python's zipfile writes `../evil` as is); `link` entries are Unix symlinks. */
export function rawZip(file: string, items: { name: string; body?: string; link?: string }[]): void {
  const script = `
import json, sys, zipfile
items = json.loads(sys.argv[2])
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for it in items:
        info = zipfile.ZipInfo(it['name'])
        info.create_system = 3
        if it.get('link') is not None:
            info.external_attr = (0o120777 << 16)
            z.writestr(info, it['link'])
        else:
            info.external_attr = (0o100644 << 16)
            z.writestr(info, it.get('body', ''))
`;
  execFileSync('python3', ['-c', script, file, JSON.stringify(items)]);
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** What a route answers: a body, a status, a redirect, or a function that handles the request itself. */
export type Route =
  | Buffer
  | { status: number }
  | { redirect: string }
  | ((req: http.IncomingMessage, res: http.ServerResponse, n: number) => void);

/** An HTTP server on 127.0.0.1 serving `routes` by path, counting requests per path. */
export async function serve(
  routes: Record<string, Route>,
): Promise<{ base: string; count(path: string): number; close(): Promise<void> }> {
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    const n = (counts.get(p) ?? 0) + 1;
    counts.set(p, n);
    const r = routes[p];
    if (r === undefined) {
      res.writeHead(404).end('not found');
    } else if (Buffer.isBuffer(r)) {
      res.writeHead(200, { 'content-length': r.length, 'content-type': 'application/octet-stream' }).end(r);
    } else if (typeof r === 'function') {
      r(req, res, n);
    } else if ('redirect' in r) {
      res.writeHead(302, { location: r.redirect }).end();
    } else {
      res.writeHead(r.status).end(`status ${r.status}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    count: (p) => counts.get(p) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A route that sends the headers for all of `body` but only half of it, then drops the connection. */
export function halfThenDrop(body: Buffer): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(200, { 'content-length': body.length });
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.socket?.destroy(), 20));
  };
}
