/**
 * `weft daemon --published-ports-firewall=host|bypass`, once per firewall backend, probed
 * from a neighbour that reaches the daemon's namespace over a veth:
 *   - host: a drop rule the user adds to the user chain (matched on the original host port)
 *     blocks that published port from the neighbour while another one keeps working; the
 *     host's own and loopback (proxied) clients and container-to-container traffic are not
 *     affected, a container that goes through the host address (DNAT) is; the rule survives `weft firewall reload`, the periodic repair of a flushed
 *     ruleset and a daemon restart; deleting it restores the traffic; explain shows it;
 *   - input: no DNAT on the host; the proxy serves every client, so the host's own INPUT rules
 *     (a policy-drop input chain allowing one port, as ufw or firewalld write it) decide, for
 *     the neighbour and for containers going through the host address; SCTP is refused;
 *   - bypass (the default): the chain exists but is not consulted, and the host's INPUT rules
 *     never see published ports (Docker's behaviour);
 *   - a bad value ends the daemon with a clear message.
 */
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, createNet, runContainer } from '../helpers/containers.js';
import { CLI, TestDaemon, waitFor } from '../helpers/daemon.js';
import { addNeighbour, type Neighbour } from '../helpers/neighbour.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const quick = { timeoutMs: 1000 };
const BLOCKED = 8101;
const OPEN = 8102;

/** How a user adds and deletes "drop new connections to host port P" in each backend's user chain. */
const USER_RULE = {
  nftables: {
    add: (p: number) => `nft add rule inet weft user meta l4proto tcp ct original proto-dst ${p} drop`,
    del: (p: number) => `h=$(nft -a list chain inet weft user | sed -n 's/.*proto-dst ${p} drop # handle //p')
      nft delete rule inet weft user handle $h`,
    list: 'nft list chain inet weft user',
    flush: 'nft flush chain inet weft forward',
    repaired: 'nft list chain inet weft forward | grep -q "jump user"',
  },
  iptables: {
    add: (p: number) => `iptables -A WEFT-USER -p tcp -m conntrack --ctorigdstport ${p} -j DROP`,
    del: (p: number) => `iptables -D WEFT-USER -p tcp -m conntrack --ctorigdstport ${p} -j DROP`,
    list: 'iptables -S WEFT-USER',
    flush: 'iptables -F FORWARD',
    repaired: 'iptables -C FORWARD -j WEFT-FORWARD',
  },
};

/** A host firewall as ufw (iptables) or firewalld (nftables) keeps one: input policy drop, loopback, replies and OPEN allowed. */
const HOST_INPUT_POLICY = {
  nftables: `nft -f - <<'EOF'
table inet wh15host {
  chain input {
    type filter hook input priority filter; policy drop;
    iif lo accept
    ct state established,related accept
    tcp dport ${OPEN} accept
  }
}
EOF`,
  iptables: `iptables -A INPUT -i lo -j ACCEPT && iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    iptables -A INPUT -p tcp --dport ${OPEN} -j ACCEPT && iptables -P INPUT DROP`,
};

interface Lab {
  d: TestDaemon;
  nbr: Neighbour;
  servers: ChildProcess[];
  ip: string;
  peer: string;
}

async function lab(backend: TestDaemon['backend'], args: string[]): Promise<Lab> {
  const d = new TestDaemon(backend, undefined, ['--firewall-check-interval', '1', ...args]);
  const nbr = addNeighbour(d, { hostIf: 'wh15nb', link: '10.249.15.0/24', routes: [] });
  await d.start();
  await createNet(d, { Name: 'wh15-net', IPAM: { Config: [{ Subnet: '10.115.0.0/24' }] } });
  const servers: ChildProcess[] = [];
  const published = { '80/tcp': [{ HostPort: `${BLOCKED}` }], '81/tcp': [{ HostPort: `${OPEN}` }] };
  for (const [name, ports] of [['wh15-web', published], ['wh15-peer', {}]] as [string, typeof published | {}][]) {
    await runContainer(d, { name, network: 'wh15-net', cmd: ['sleep', '100000'], ports });
    const info = (await d.api('GET', `/v1.50/containers/${name}/json`)).body;
    servers.push(await startServer(info.NetworkSettings.SandboxKey, name, ['tcp:80', 'tcp:81']));
  }
  const peer = (await d.api('GET', '/v1.50/containers/wh15-peer/json')).body.NetworkSettings.SandboxKey as string;
  return { d, nbr, servers, ip: await containerIp(d, 'wh15-web', 'wh15-net'), peer };
}

async function destroyLab(l: Lab | undefined): Promise<void> {
  for (const s of l?.servers ?? []) kill(s);
  await l?.d.destroy();
  l?.nbr.ns.destroy();
}

describe.each(['nftables', 'iptables'] as const)('--published-ports-firewall=host (%s backend)', (backend) => {
  const rule = USER_RULE[backend];
  let l: Lab;
  const fromNeighbour = (port: number) => probe(l.nbr.ns.path, 'tcp', l.nbr.hostAddr, port, quick);

  beforeAll(async () => {
    l = await lab(backend, ['--published-ports-firewall=host']);
    l.d.host.sh(rule.add(BLOCKED));
  });

  afterAll(() => destroyLab(l));

  it('a drop in the user chain closes that published port to the neighbour, and only that', () => {
    expect.soft(fromNeighbour(BLOCKED), 'neighbour to the blocked port').toBe('');
    expect.soft(fromNeighbour(OPEN), 'neighbour to another published port').toBe('tcp:81:wh15-web');
    expect.soft(probe(l.d.host.path, 'tcp', '127.0.0.1', BLOCKED), 'loopback client (userland proxy)').toBe('tcp:80:wh15-web');
    expect.soft(probe(l.d.host.path, 'tcp', l.nbr.hostAddr, BLOCKED), 'the host itself, by its address').toBe('tcp:80:wh15-web');
    expect.soft(probe(l.peer, 'tcp', l.ip, 80), 'container to container').toBe('tcp:80:wh15-web');
    expect.soft(probe(l.peer, 'tcp', l.nbr.hostAddr, BLOCKED, quick), 'a container through the host address (DNAT)').toBe('');
    expect.soft(probe(l.peer, 'tcp', l.nbr.hostAddr, OPEN), 'a container to another published port').toBe('tcp:81:wh15-web');
  });

  it('shows the user chain in network explain', async () => {
    const r = await l.d.api('GET', `/weft/network/explain?src=${l.nbr.addr}&dst=${l.nbr.hostAddr}&port=${BLOCKED}&proto=tcp`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ verdict: 'drop', decidedBy: { chain: backend === 'nftables' ? 'user' : 'WEFT-USER' } });
    expect(r.body.decidedBy.rule).toContain(`${BLOCKED}`);
  });

  it('keeps the rule through firewall reload, the repair of a flushed ruleset and a daemon restart', async () => {
    const r = l.d.cli(['firewall', 'reload']);
    expect(r.code, r.stderr).toBe(0);
    expect(l.d.host.sh(rule.list)).toContain(`${BLOCKED}`);
    expect.soft(fromNeighbour(BLOCKED), 'after reload').toBe('');
    l.d.host.sh(rule.flush);
    await waitFor(() => l.d.host.try(rule.repaired).code === 0, 'the periodic repair', 15_000);
    expect.soft(fromNeighbour(BLOCKED), 'after the repair').toBe('');
    await l.d.crash();
    await l.d.start();
    expect(l.d.host.sh(rule.list)).toContain(`${BLOCKED}`);
    await waitFor(() => fromNeighbour(OPEN) === 'tcp:81:wh15-web', 'the restarted daemon serving the port');
    expect.soft(fromNeighbour(BLOCKED), 'after a restart').toBe('');
  });

  it('deleting the rule restores the traffic', () => {
    l.d.host.sh(rule.del(BLOCKED));
    expect(fromNeighbour(BLOCKED)).toBe('tcp:80:wh15-web');
  });
});

describe.each(['nftables', 'iptables'] as const)('--published-ports-firewall=input (%s backend)', (backend) => {
  let l: Lab;
  const fromNeighbour = (port: number) => probe(l.nbr.ns.path, 'tcp', l.nbr.hostAddr, port, quick);

  beforeAll(async () => {
    l = await lab(backend, ['--published-ports-firewall=input']);
    l.d.host.sh(HOST_INPUT_POLICY[backend]);
  });

  afterAll(() => destroyLab(l));

  it('the host\'s input rules decide: the allowed port answers, the other one is dropped', () => {
    expect.soft(fromNeighbour(OPEN), 'neighbour to the allowed port').toBe('tcp:81:wh15-web');
    expect.soft(fromNeighbour(BLOCKED), 'neighbour to a port the host policy drops').toBe('');
    expect.soft(probe(l.peer, 'tcp', l.nbr.hostAddr, OPEN), 'a container through the host address').toBe('tcp:81:wh15-web');
    expect.soft(probe(l.peer, 'tcp', l.nbr.hostAddr, BLOCKED, quick), 'a container to the dropped port').toBe('');
    expect.soft(probe(l.peer, 'tcp', l.ip, 80), 'container to container').toBe('tcp:80:wh15-web');
  });

  it('stays so after weft firewall reload', () => {
    const r = l.d.cli(['firewall', 'reload']);
    expect(r.code, r.stderr).toBe(0);
    expect.soft(fromNeighbour(OPEN), 'after reload, the allowed port').toBe('tcp:81:wh15-web');
    expect.soft(fromNeighbour(BLOCKED), 'after reload, the dropped port').toBe('');
  });

  it('refuses to publish SCTP, which the proxy cannot relay, and leaves nothing', async () => {
    const create = await l.d.api('POST', '/v1.50/containers/create?name=wh15-sctp', {
      Image: 'busybox', Cmd: ['sleep', '100000'], ExposedPorts: { '80/sctp': {} },
      HostConfig: { NetworkMode: 'wh15-net', PortBindings: { '80/sctp': [{ HostPort: '8103' }] } },
    });
    expect(create.status, create.text).toBe(201);
    const start = await l.d.api('POST', '/v1.50/containers/wh15-sctp/start');
    expect(start.status).toBe(400);
    expect(start.body.message).toContain('SCTP ports cannot be published with --published-ports-firewall=input');
    const inspect = await l.d.api('GET', '/v1.50/containers/wh15-sctp/json');
    expect(inspect.body.State.Running).toBe(false);
  });

  it('cannot go with --userland-proxy=false', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'wh15-'));
    const r = spawnSync('nsenter', [`--net=${l.d.host.path}`, process.execPath, CLI, 'daemon', '--root', path.join(base, 'root'),
      '--run-dir', path.join(base, 'run'), '--published-ports-firewall=input', '--userland-proxy=false'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--published-ports-firewall=input serves published ports through the userland proxy');
    fs.rmSync(base, { recursive: true, force: true });
  });
});

describe.each(['nftables', 'iptables'] as const)('--published-ports-firewall=bypass, the default (%s backend)', (backend) => {
  let l: Lab;

  beforeAll(async () => {
    l = await lab(backend, []);
  });

  afterAll(() => destroyLab(l));

  it('creates the user chain but does not consult it', () => {
    l.d.host.sh(USER_RULE[backend].add(BLOCKED));
    expect(probe(l.nbr.ns.path, 'tcp', l.nbr.hostAddr, BLOCKED)).toBe('tcp:80:wh15-web');
  });

  it('the host\'s input rules never see published ports, as with Docker', () => {
    l.d.host.sh(HOST_INPUT_POLICY[backend]);
    expect(probe(l.nbr.ns.path, 'tcp', l.nbr.hostAddr, BLOCKED)).toBe('tcp:80:wh15-web');
  });

  it('refuses a bad value with a clear message and exit status 1', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'wh15-'));
    const r = spawnSync('nsenter', [`--net=${l.d.host.path}`, process.execPath, CLI, 'daemon', '--root', path.join(base, 'root'),
      '--run-dir', path.join(base, 'run'), '--published-ports-firewall=strict'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('invalid value "strict" for --published-ports-firewall (bypass, host or input)');
    expect(fs.existsSync(path.join(base, 'run', 'weft.sock'))).toBe(false);
    fs.rmSync(base, { recursive: true, force: true });
  });
});
