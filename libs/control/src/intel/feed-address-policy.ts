import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { FeedFetchError, isPrivateOrReserved } from '@telemetry/enrichment';

/**
 * A tenant's feed is fetched from public addresses only: a key with `manage_indicators` must not be
 * able to make the server fetch from its own network (cloud metadata, internal services) and read
 * the answer back through the feed's status and malformed-line samples. Checked before the first
 * request and before each redirect, on every address the host resolves to.
 *
 * What it cannot see: a name that resolves to a public address here and to a private one when the
 * HTTP client resolves it again a moment later (DNS rebinding). Global feeds (admin keys) are not
 * restricted; `FEED_ALLOW_PRIVATE_ADDRESSES=true` lifts the rule for tenants' feeds too (a lab).
 */
export async function requirePublicHost(url: URL): Promise<void> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch (error) {
      throw new FeedFetchError('unreachable', `${url.host}: the name does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
    }
  }
  const blocked = addresses.find((address) => isPrivateOrReserved(address));
  if (blocked !== undefined) {
    throw new FeedFetchError(
      'blocked_address',
      `${url.host} is ${blocked === host ? '' : `resolves to ${blocked}, `}a private, loopback or reserved address: a tenant's feed is fetched from public addresses only`,
    );
  }
}

/** The same rule at registration, for what can be told without resolving: a literal address or `localhost`. */
export function privateHostProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at localhost: a tenant’s feed is fetched from public addresses only';
  if (isIP(host) !== 0 && isPrivateOrReserved(host))
    return 'must not point at a private, loopback or reserved address: a tenant’s feed is fetched from public addresses only';
  return null;
}
