import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import { createImageFetcher } from './image-fetcher.ts';
import { isPublicAddress } from './public-address.ts';

describe('public addresses (what a caller\'s image URL may reach)', () => {
  it('tells public addresses from loopback, private, link-local and reserved ones, IPv4 mapped into IPv6 too', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.ok(isPublicAddress(address), address);
    for (const address of [
      '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.1.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
      '::1', '::', 'fe80::1', 'fd00::1', 'fc12::3', '::ffff:127.0.0.1', '::ffff:10.1.2.3', 'ff02::1', 'localhost', 'not an address',
    ]) assert.ok(!isPublicAddress(address), address);
  });

  it('refuses private IPv4 addresses carried in IPv6 ones that reach them: NAT64 (64:ff9b::/96), SIIT, IPv4-compatible, 6to4', () => {
    for (const address of ['64:ff9b::808:808', '64:ff9b::1.1.1.1', '2002:808:808::1', '::ffff:0:808:808']) assert.ok(isPublicAddress(address), address);
    for (const address of [
      '64:ff9b::a00:5', '64:ff9b::10.0.0.5', '64:ff9b::a9fe:a9fe', '64:ff9b::7f00:1', '64:ff9b::c0a8:101', '::ffff:0:7f00:1', '::7f00:1', '::a9fe:a9fe',
      '2002:7f00:1::1', '2002:a9fe:a9fe::', '2002:c0a8:101::1',
    ]) assert.ok(!isPublicAddress(address), address);
  });
});

describe('image URLs fetched for Gemini and Bedrock (server-side request forgery)', () => {
  // A TCP server on loopback that records the connections made to it: none must be.
  let server: Server;
  let port: number;
  let connections = 0;
  before(async () => {
    server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const refusal = async (fetcher: ReturnType<typeof createImageFetcher>, url: string): Promise<GatewayError> => {
    const error = await fetcher.fetch(url, new AbortController().signal).then(
      () => assert.fail(`${url} was fetched`),
      (failure: unknown) => failure,
    );
    assert.ok(GatewayError.isInstance(error), String(error));
    assert.equal(error.code, 'SB_ERR_INVALID_REQUEST');
    assert.equal(error.param, 'image_url');
    return error;
  };

  it('refuses an address that is not public, given as an IP or as a name resolving to one, without connecting', async () => {
    const fetcher = createImageFetcher({ timeoutMs: 2_000 });
    for (const url of [`https://127.0.0.1:${port}/cat.png`, 'https://[::1]/cat.png', 'https://169.254.169.254/latest/meta-data/', 'https://10.0.0.7/cat.png', 'https://[::ffff:127.0.0.1]/x.png']) {
      assert.match((await refusal(fetcher, url)).message, /^Image URLs must point to a public address; https:\/\/\S+ does not\.$/, url);
    }
    // A name is checked where the connection is made (a name that changes what it resolves to is caught too).
    assert.match((await refusal(fetcher, `https://localhost:${port}/cat.png`)).message, /localhost resolves to an address that is not public/);
    assert.equal(connections, 0, 'a connection reached the private address');
  });

  it('connects to private addresses with server.allow_private_image_urls (images served on the deployment\'s own network)', async () => {
    const fetcher = createImageFetcher({ timeoutMs: 2_000, allowPrivate: true });
    const error = await refusal(fetcher, `https://localhost:${port}/cat.png`);
    assert.doesNotMatch(error.message, /not public/);
    assert.ok(connections >= 1, 'no connection was made');
  });
});
