import { FeedFetchError } from '@telemetry/enrichment';
import { privateHostProblem, requirePublicHost } from './feed-address-policy';

describe("the public-address rule of tenants' feeds", () => {
  it.each([
    'http://127.0.0.1:8080/x',
    'http://[::1]/x',
    'http://10.1.2.3/x',
    'http://169.254.169.254/latest/meta-data',
    'https://192.168.0.10/x',
    'http://[fd00::1]/x',
    'http://[::ffff:127.0.0.1]/x',
  ])('refuses %s before any request', async (url) => {
    const refused = await requirePublicHost(new URL(url)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FeedFetchError);
    expect((refused as FeedFetchError).code).toBe('blocked_address');
    expect(privateHostProblem(url)).toMatch(/private, loopback or reserved/);
  });

  it('lets a public address through', async () => {
    await expect(requirePublicHost(new URL('https://8.8.8.8/list.txt'))).resolves.toBeUndefined();
    expect(privateHostProblem('https://8.8.8.8/list.txt')).toBeNull();
    expect(privateHostProblem('https://feodotracker.abuse.ch/downloads/ipblocklist.csv')).toBeNull();
  });

  it('refuses localhost by name at registration', () => {
    expect(privateHostProblem('http://localhost:9000/x')).toMatch(/localhost/);
    expect(privateHostProblem('http://api.localhost/x')).toMatch(/localhost/);
  });
});
