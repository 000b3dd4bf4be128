/**
 * The invariant checks of the fault campaign see what they claim to see: clean on a fresh
 * daemon with published ports, then each planted fault (a veth on a weft bridge, a DNAT
 * element for a port nobody publishes, a container's address on a second interface, a
 * killed container whose port was published) is reported by its kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';
import { checkInvariants, violationKind, type InvariantOptions } from '../helpers/invariants.js';
import { makeNs, type LabNs } from '../helpers/lab.js';

describe('fault-campaign invariants', () => {
  let d: TestDaemon;
  let nb: LabNs;
  let opts: InvariantOptions;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    nb = makeNs('chs-inv');
    d.host.sh(`ip link add chsout type veth peer name eth0 netns ${nb.name} && ip link set chsout up && ip addr add 10.254.0.1/24 dev chsout`);
    nb.sh('ip addr add 10.254.0.2/24 dev eth0 && ip link set eth0 up');
    opts = { ignoreLinks: ['chsout'], neighbour: { nsPath: nb.path, hostIp: '10.254.0.1' }, reply: (n) => `name=${n}` };
    await d.start();
  });

  afterAll(async () => {
    await d?.destroy();
    nb?.destroy();
  });

  async function serve(name: string, hostPort: string): Promise<void> {
    const c = await d.api('POST', `/v1.50/containers/create?name=${name}`, {
      Image: 'busybox', Cmd: ['sh', '-c', `mkdir /w; echo name=${name} > /w/n; exec httpd -f -p 80 -h /w`],
      ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: hostPort }] } },
    });
    expect(c.status, c.text).toBe(201);
    const s = await d.api('POST', `/v1.50/containers/${name}/start`);
    expect(s.status, s.text).toBe(204);
  }

  it('is clean with running containers, and names each planted fault', async () => {
    await serve('web1', '7101');
    await serve('web2', '');
    expect(await checkInvariants(d, opts)).toEqual([]);

    const ip1 = (await d.api('GET', '/v1.50/containers/web1/json')).body.NetworkSettings.IPAddress;
    d.host.sh('ip link add vethchs0 type veth peer name vethchs1 && ip link set vethchs0 master weft0');
    d.host.sh(`nft add element inet weft port-dnat4-any '{ tcp . 7999 : ${ip1} . 80 }'`);
    const port2 = Number((await d.api('GET', '/v1.50/containers/web2/json')).body.NetworkSettings.Ports['80/tcp'][0].HostPort);
    expect((await d.api('POST', '/v1.50/containers/web2/kill')).status).toBe(204);

    const found = await checkInvariants(d, { ...opts, gonePorts: [7999, port2] });
    const kinds = new Set(found.map(violationKind));
    for (const k of ['orphan-link', 'orphan-firewall-port', 'removed-port-answers']) {
      expect(kinds.has(k), `${k} in ${JSON.stringify(found, null, 1)}`).toBe(true);
    }
    expect(found.some((v) => v.includes('vethchs0 master weft0'))).toBe(true);
    // Loopback goes through the relay, not the DNAT: the planted element answers on the host address only.
    expect(found.filter((v) => v.startsWith('removed-port-answers:'))).toEqual([
      'removed-port-answers: port 7999 from host ns to 10.254.0.1 answered "name=web1"',
      'removed-port-answers: port 7999 from neighbour to 10.254.0.1 answered "name=web1"',
    ]);

    d.host.sh(`ip link add chsdup type veth peer name chsdup1 && ip addr add ${ip1}/32 dev chsdup`);
    expect((await checkInvariants(d, opts)).filter((v) => v.startsWith('address-on-two-interfaces:'))).toHaveLength(1);
  }, 60_000);
});
