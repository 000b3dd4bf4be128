/** Sandbox create/delete through a fake SandboxOs. */
import { afterEach, describe, expect, it } from 'vitest';
import { makeController, TempDirs } from './controller-fakes.js';

describe('Controller sandboxes (fake SandboxOs)', () => {
  const tmp = new TempDirs();
  afterEach(() => tmp.cleanup());
  const id = 'a'.repeat(64);

  it('creates a namespace under the netns dir and records the sandbox', async () => {
    const dir = tmp.make();
    const { ctl, store, sos } = await makeController(dir);
    const sb = await ctl.createSandbox(id, 'netns');
    expect(sb.nsPath).toBe(`${dir}/netns/${id.slice(0, 12)}`);
    expect(sos.namespaces.has(sb.nsPath!)).toBe(true);
    expect((await store.get(`sandbox/${id}`))?.value).toEqual({ id, containerId: id, nsPath: sb.nsPath });
    expect(ctl.getSandbox(id)).toBe(sb);
  });

  it('a host-mode sandbox has no namespace of its own', async () => {
    const { ctl, sos } = await makeController(tmp.make());
    const sb = await ctl.createSandbox(id, 'host');
    expect(sb.nsPath).toBeUndefined();
    expect(sos.namespaces.size).toBe(0);
    await expect(ctl.connect(id, 'nope', { name: 'x' })).rejects.toMatchObject({ status: 404 });
  });

  it('a failed namespace setup leaves neither namespace nor record', async () => {
    const { ctl, store, sos } = await makeController(tmp.make());
    sos.failCreate = true;
    await expect(ctl.createSandbox(id, 'netns')).rejects.toThrow('cannot bring lo up');
    expect(sos.namespaces.size).toBe(0);
    expect(await store.list('sandbox/')).toEqual([]);
    expect(ctl.getSandbox(id)).toBeUndefined();
  });

  it('delete leaves every network, releases addresses and removes namespace and record; twice is fine', async () => {
    const { ctl, store, ipam, driver, sos } = await makeController(tmp.make());
    const n = await ctl.createNetwork({ name: 'n1', driver: 'fake', ipam: { config: [{ subnet: '10.7.0.0/24' }] } });
    const sb = await ctl.createSandbox(id, 'netns');
    const ep = await ctl.connect(id, 'n1', { name: 'web' });
    await ctl.deleteSandbox(id);
    expect(sos.namespaces.has(sb.nsPath!)).toBe(false);
    expect(driver.joined.has(ep.id)).toBe(false);
    expect(await ipam.listAddresses(n.ipv4[0].poolId)).not.toContain(ep.ipv4!.split('/')[0]);
    expect(await store.list('endpoint/')).toEqual([]);
    expect(await store.list('sandbox/')).toEqual([]);
    expect(ctl.getSandbox(id)).toBeUndefined();
    await ctl.deleteSandbox(id);
  });
});
