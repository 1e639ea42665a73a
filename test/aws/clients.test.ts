import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClientShare, targetClients } from '../../src/aws/clients.js';

const credentials = async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' });

async function settled(share: ClientShare, profile?: string): Promise<Record<string, unknown>> {
  await vi.waitFor(() =>
    expect(Object.keys(share.settingsFor('CloudFormationClient', profile)).length).toBeGreaterThan(7),
  );
  const s = share.settingsFor('CloudFormationClient', profile);
  return Object.fromEntries(
    await Promise.all(
      Object.entries(s).map(async ([k, p]): Promise<[string, unknown]> => [
        k,
        typeof p === 'function' ? await (p as () => Promise<unknown>)() : p,
      ]),
    ),
  );
}

describe('ClientShare', () => {
  const shares: ClientShare[] = [];
  const newShare = () => {
    const s = new ClientShare();
    shares.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of shares.splice(0)) s.destroy();
    vi.unstubAllEnvs();
  });

  it('resolves the settings once, through the first client, and hands them to later clients', async () => {
    vi.stubEnv('AWS_USE_DUALSTACK_ENDPOINT', 'true');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '7');
    const share = newShare();
    expect(share.settingsFor('CloudFormationClient', undefined)).toEqual({});
    const first = targetClients({ region: 'eu-west-1', credentials, share }).cloudformation;
    const values = await settled(share);
    expect(values).toMatchObject({ useDualstackEndpoint: true, useFipsEndpoint: false, maxAttempts: 7 });
    // a later client (another service, region and account) gets the resolved values, not fresh lookups
    vi.stubEnv('AWS_USE_DUALSTACK_ENDPOINT', 'false');
    const later = await targetClients({ region: 'us-west-2', credentials, share }).lambda();
    expect(await later.config.useDualstackEndpoint()).toBe(true);
    expect(await later.config.maxAttempts()).toBe(7);
    // one request handler (over the share's pools) for every client
    expect(later.config.requestHandler).toBe(first.config.requestHandler);
    expect(await first.config.region()).toBe('eu-west-1');
    expect(await later.config.region()).toBe('us-west-2');
  });

  it('keeps settings apart per profile: a client with its own credentials reads the default profile', async () => {
    const share = newShare();
    void targetClients({ region: 'eu-west-1', credentials, share, profile: 'ignored-with-credentials' }).cloudformation;
    await settled(share);
    expect(share.settingsFor('CloudFormationClient', 'other')).toEqual({});
  });

  it('learns the configured endpoint per service: AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL, or none', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:4566');
    vi.stubEnv('AWS_ENDPOINT_URL_LAMBDA', 'http://127.0.0.1:9001');
    const share = newShare();
    void targetClients({ region: 'eu-west-1', credentials, share }).cloudformation;
    await targetClients({ region: 'eu-west-1', credentials, share }).lambda();
    await vi.waitFor(() => expect(share.settingsFor('LambdaClient', undefined)).toHaveProperty('endpoint'));
    await vi.waitFor(() => expect(share.settingsFor('CloudFormationClient', undefined)).toHaveProperty('endpoint'));
    expect(share.settingsFor('CloudFormationClient', undefined).endpoint).toBe('http://127.0.0.1:4566');
    expect(share.settingsFor('LambdaClient', undefined).endpoint).toBe('http://127.0.0.1:9001');
    const later = await targetClients({ region: 'us-west-2', credentials, share }).lambda();
    expect((await later.config.endpoint!()).port).toBe(9001);

    vi.unstubAllEnvs();
    vi.stubEnv('AWS_ENDPOINT_URL', '');
    const plain = newShare();
    await targetClients({ region: 'eu-west-1', credentials, share: plain }).events();
    await vi.waitFor(() =>
      expect(plain.settingsFor('EventBridgeClient', undefined)).toHaveProperty('ignoreConfiguredEndpointUrls', true),
    );
  });

  it('without a share, every client resolves its own settings', async () => {
    vi.stubEnv('AWS_USE_FIPS_ENDPOINT', 'true');
    const c = await targetClients({ region: 'us-east-1', credentials }).events();
    expect(await c.config.useFipsEndpoint()).toBe(true);
  });
});
