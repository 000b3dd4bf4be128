/**
 * Docker's v1 plugin protocol client: discovery (sockets, .spec and .json files), lazy
 * activation, the content type, errors ("Err", HTTP statuses, 404 for optional methods),
 * timeouts, and finding a plugin again after it went away. Real sockets, a real server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLUGIN_CONTENT_TYPE, PluginClient } from '../../src/plugins/client.js';
import { locatePlugin, type DiscoveryDirs } from '../../src/plugins/discovery.js';
import { PluginRegistry } from '../../src/plugins/registry.js';
import { PluginServer } from '../helpers/plugin-server.js';

describe('plugin discovery and client', () => {
  let dir: string;
  let dirs: DiscoveryDirs;
  let servers: PluginServer[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wr-plugins-'));
    dirs = { socketsDir: path.join(dir, 'run'), specDirs: [path.join(dir, 'etc'), path.join(dir, 'lib')] };
    for (const d of [dirs.socketsDir, ...dirs.specDirs]) fs.mkdirSync(d);
    servers = [];
  });

  afterEach(async () => {
    for (const s of servers) await s.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const serve = async (listenOn: string | { port: number }, handlers: PluginServer['handlers'] = {}, impl = ['NetworkDriver']) => {
    const s = new PluginServer(listenOn, impl, handlers);
    await s.start();
    servers.push(s);
    return s;
  };
  const client = (name: string, timeoutMs = 2000) => new PluginClient(name, () => locatePlugin(name, dirs), timeoutMs);

  it('finds <name>.sock, <name>/<name>.sock, then .spec and .json files in the spec dirs in order', async () => {
    await serve(path.join(dirs.socketsDir, 'a.sock'));
    fs.mkdirSync(path.join(dirs.socketsDir, 'b'));
    await serve(path.join(dirs.socketsDir, 'b', 'b.sock'));
    fs.writeFileSync(path.join(dirs.specDirs[0], 'c.spec'), 'tcp://127.0.0.1:9999\n');
    fs.writeFileSync(path.join(dirs.specDirs[1], 'c.spec'), 'unix:///elsewhere.sock\n');
    fs.writeFileSync(path.join(dirs.specDirs[1], 'd.json'), JSON.stringify({ Name: 'd', Addr: 'unix:///run/d.sock' }));
    fs.writeFileSync(path.join(dirs.specDirs[1], 'e.spec'), 'npipe:////./pipe/e\n');
    expect(locatePlugin('a', dirs)).toEqual({ socketPath: path.join(dirs.socketsDir, 'a.sock') });
    expect(locatePlugin('b', dirs)).toEqual({ socketPath: path.join(dirs.socketsDir, 'b', 'b.sock') });
    expect(locatePlugin('c', dirs)).toEqual({ host: '127.0.0.1', port: 9999 });
    expect(locatePlugin('d', dirs)).toEqual({ socketPath: '/run/d.sock' });
    expect(() => locatePlugin('e', dirs)).toThrow(/unsupported address "npipe/);
    expect(locatePlugin('missing', dirs)).toBeUndefined();
    expect(locatePlugin('../etc/c', dirs)).toBeUndefined();
  });

  it('activates on the first call only, with Docker\'s content type, and returns the reply', async () => {
    const s = await serve(path.join(dirs.socketsDir, 'p.sock'), { 'NetworkDriver.GetCapabilities': () => ({ Scope: 'local' }) });
    const c = client('p');
    expect(s.calls).toEqual([]);
    expect(await c.call('NetworkDriver.GetCapabilities', {})).toEqual({ Scope: 'local' });
    expect(await c.call('NetworkDriver.GetCapabilities', {})).toEqual({ Scope: 'local' });
    expect(s.methods()).toEqual(['Plugin.Activate', 'NetworkDriver.GetCapabilities', 'NetworkDriver.GetCapabilities']);
    expect(s.calls.every((x) => x.contentType === PLUGIN_CONTENT_TYPE)).toBe(true);
  });

  it('reaches a plugin named by a tcp:// spec file', async () => {
    const probe = await serve({ port: 0 });
    const port = probe.port();
    fs.writeFileSync(path.join(dirs.specDirs[0], 't.spec'), `tcp://127.0.0.1:${port}`);
    expect(await client('t').implements()).toEqual(['NetworkDriver']);
  });

  it('turns "Err" into an error in dockerd\'s words, and 404 into "not implemented" for optional methods only', async () => {
    await serve(path.join(dirs.socketsDir, 'p.sock'), { 'NetworkDriver.CreateNetwork': () => { throw new Error('bad option'); } });
    const c = client('p');
    await expect(c.call('NetworkDriver.CreateNetwork', {})).rejects.toThrow(/^remote: bad option$/);
    expect(await c.call('NetworkDriver.DiscoverNew', {}, { optional: true })).toBeUndefined();
    await expect(c.call('NetworkDriver.Join', {})).rejects.toThrow('NetworkDriver.Join: NetworkDriver.Join not implemented');
  });

  it('fails a call the plugin does not answer in time', async () => {
    await serve(path.join(dirs.socketsDir, 'slow.sock'), { 'NetworkDriver.Join': () => new Promise((r) => setTimeout(r, 1000)) });
    await expect(client('slow', 200).call('NetworkDriver.Join', {})).rejects.toThrow(/not reachable: NetworkDriver.Join: no answer within 0.2s/);
  });

  it('fails clearly while the plugin is gone, and activates it again once it is back', async () => {
    const sock = path.join(dirs.socketsDir, 'p.sock');
    const s = await serve(sock, { 'IpamDriver.RequestPool': () => ({ PoolID: 'x', Pool: '10.0.0.0/24' }) }, ['IpamDriver']);
    const c = client('p');
    await c.call('IpamDriver.RequestPool', {});
    s.dieOn = 'IpamDriver.RequestPool';
    await expect(c.call('IpamDriver.RequestPool', {})).rejects.toThrow(/plugin "p" is not reachable: IpamDriver.RequestPool/);
    await expect(c.call('IpamDriver.RequestPool', {})).rejects.toThrow('plugin "p" not found');
    s.calls.length = 0;
    await s.start();
    expect(await c.call('IpamDriver.RequestPool', {})).toEqual({ PoolID: 'x', Pool: '10.0.0.0/24' });
    expect(s.methods()).toEqual(['Plugin.Activate', 'IpamDriver.RequestPool']);
  });

  it('the registry knows no plugin it cannot find, and refuses one that implements another kind', async () => {
    await serve(path.join(dirs.socketsDir, 'ipam.sock'), {}, ['IpamDriver']);
    const r = new PluginRegistry({ dirs, timeoutMs: 1000 });
    expect(await r.get('nothing', 'NetworkDriver')).toBeUndefined();
    expect(await r.get('ipam', 'IpamDriver')).toBeInstanceOf(PluginClient);
    await expect(r.get('ipam', 'NetworkDriver')).rejects.toThrow('plugin "ipam": Plugin does not implement the requested driver');
  });
});
