/**
 * The remote IPAM's ties to weft's units of work, and clean-up calls a plugin missed while
 * it was gone: real store (LMDB), real plugin server on a unix socket.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RemoteIpam } from '../../ipam/remote/remote.js';
import { PluginClient } from '../../src/plugins/client.js';
import { locatePlugin } from '../../src/plugins/discovery.js';
import { PendingCalls } from '../../src/plugins/pending.js';
import { LmdbStore } from '../../src/store/lmdb.js';
import { IpamPlugin } from '../helpers/remote-plugins.js';

describe('remote IPAM', () => {
  let dir: string;
  let store: LmdbStore;
  let plugin: IpamPlugin;
  let ipam: RemoteIpam;
  const logger = pino({ level: 'silent' });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wr-ipam-'));
    store = await LmdbStore.open(path.join(dir, 'root'));
    plugin = new IpamPlugin(dir, 'wripam', '10.216.0.0/24');
    await plugin.server.start();
    const dirs = { socketsDir: dir, specDirs: [] };
    const client = new PluginClient('wripam', () => locatePlugin('wripam', dirs), 2000, new PendingCalls(store, logger));
    ipam = await RemoteIpam.connect(client, logger);
  });

  afterEach(async () => {
    await plugin.server.kill();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const settled = () => new Promise((r) => setTimeout(r, 50));

  it('gives back what an abandoned unit reserved, and keeps what a committed one did', async () => {
    expect(ipam.defaultAddressSpaces()).toEqual({ local: 'wrlocal', global: 'wrglobal' });
    const tx = store.begin();
    const { poolId, pool } = await ipam.requestPool({ v6: false }, tx);
    expect(pool).toBe('10.216.0.0/24');
    expect(await ipam.requestAddress(poolId, undefined, { gateway: true }, tx)).toBe('10.216.0.1/24');
    tx.abort();
    await settled();
    expect(plugin.pools.size).toBe(0);

    const ok = store.begin();
    const kept = await ipam.requestPool({ v6: false }, ok);
    await ipam.requestAddress(kept.poolId, '10.216.0.7', {}, ok);
    await ok.commit();
    await settled();
    expect(plugin.held()).toEqual(['10.216.0.7']);
  });

  it('sends a release made in a unit only once the unit commits', async () => {
    const { poolId } = await ipam.requestPool({ v6: false });
    await ipam.requestAddress(poolId, '10.216.0.9');
    const dropped = store.begin();
    await ipam.releaseAddress(poolId, '10.216.0.9/24', dropped);
    dropped.abort();
    await settled();
    expect(plugin.held()).toEqual(['10.216.0.9']);
    const tx = store.begin();
    await ipam.releaseAddress(poolId, '10.216.0.9/24', tx);
    expect(plugin.held()).toEqual(['10.216.0.9']);
    await tx.commit();
    await ipam.requestPool({ pool: '10.217.0.0/24', v6: false }); // queued behind the release
    expect(plugin.held()).toEqual([]);
  });

  it('keeps a release the plugin missed while gone and sends it, first, once the plugin is back', async () => {
    const { poolId } = await ipam.requestPool({ v6: false });
    await ipam.requestAddress(poolId, '10.216.0.5');
    await plugin.server.kill();
    await expect(ipam.releaseAddress(poolId, '10.216.0.5')).rejects.toThrow('plugin "wripam" not found');
    await expect(ipam.requestAddress(poolId, '10.216.0.6')).rejects.toThrow('plugin "wripam" not found');
    expect(await store.list('plugin-pending/')).toHaveLength(1);
    plugin.server.calls.length = 0;
    await plugin.server.start();
    await ipam.requestAddress(poolId, '10.216.0.6');
    expect(plugin.server.methods()).toEqual(['Plugin.Activate', 'IpamDriver.ReleaseAddress', 'IpamDriver.RequestAddress']);
    expect(plugin.held()).toEqual(['10.216.0.6']);
    expect(await store.list('plugin-pending/')).toHaveLength(0);
  });
});
