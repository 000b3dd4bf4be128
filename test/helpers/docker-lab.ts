/**
 * A TestDaemon driven by the real docker CLI, with a neighbour namespace (`outside`, at the
 * host address's .2) on a veth from the daemon's namespace, and the traffic servers a test
 * starts; destroy() ends and removes all of it.
 */
import type { ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { TestDaemon } from './daemon.js';
import { DockerCli } from './docker-cli.js';
import { makeNs, type LabNs } from './lab.js';
import { kill } from './probe.js';

export interface DockerLab {
  d: TestDaemon;
  docker: DockerCli;
  outside: LabNs;
  /** Servers the test started (probe.ts startServer): killed by destroy(). */
  servers: ChildProcess[];
  /** Run docker, expect exit 0, return its trimmed stdout. */
  ok(args: string[]): string;
  /** A container's network namespace path. */
  sandbox(name: string): string;
  destroy(): Promise<void>;
}

/** host: the daemon side's address on the veth (a /24, e.g. 10.254.7.1); hostIf: its interface name. */
export async function dockerLab(backend: TestDaemon['backend'], o: { prefix: string; hostIf: string; host: string }): Promise<DockerLab> {
  const d = new TestDaemon(backend, makeNs(`${o.prefix}h`));
  const outside = makeNs(`${o.prefix}o`);
  const near = o.host.replace(/\.\d+$/, '.2');
  d.host.sh(`ip link add ${o.hostIf} type veth peer name eth0 netns ${outside.name} && ip link set ${o.hostIf} up`
    + ` && ip addr add ${o.host}/24 dev ${o.hostIf}`);
  outside.sh(`ip addr add ${near}/24 dev eth0 && ip link set eth0 up`);
  await d.start();
  const docker = new DockerCli(d);
  const servers: ChildProcess[] = [];
  const ok = (args: string[]): string => {
    const r = docker.run(args);
    expect(r.code, `docker ${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };
  return {
    d, docker, outside, servers, ok,
    sandbox: (name) => ok(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', name]),
    async destroy() {
      for (const s of servers) kill(s);
      docker.cleanup();
      await d.destroy();
      outside.destroy();
    },
  };
}
