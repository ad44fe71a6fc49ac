import { EnvHttpProxyAgent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';

let agent: EnvHttpProxyAgent | undefined;

/**
 * `fetch` that goes through http_proxy / https_proxy (and honours no_proxy), as curl, git and pip do:
 * Node 20's own fetch connects directly whatever they say, so behind a proxy every download failed.
 * Every HTTP request envkit makes itself (downloads, their size probe, `url:` verify items) goes here.
 */
export function httpFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
  // http:// through an http proxy as curl sends it (the absolute URL), not a CONNECT tunnel that proxies
  // refuse to ports other than 443 by default (squid's SSL_ports); https:// is tunnelled either way.
  agent ??= new EnvHttpProxyAgent({ proxyTunnel: false });
  return undiciFetch(url, { ...init, dispatcher: agent });
}
