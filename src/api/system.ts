/** /_ping, /version, /info: what clients use to negotiate and to describe the daemon; weft's own admin routes. */
import os from 'node:os';
import type { ApiDeps } from './deps.js';
import { API_VERSION, baseHeaders, MIN_API_VERSION, sendJson, SERVER_VERSION } from './http.js';
import type { Ctx, Route } from './router.js';

function ping({ req, res }: Ctx): void {
  const headers = {
    ...baseHeaders(),
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Builder-Version': '2',
    Swarm: 'inactive',
    'Content-Type': 'text/plain; charset=utf-8',
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'Content-Length': 0 });
    res.end();
  } else {
    res.writeHead(200, { ...headers, 'Content-Length': 2 });
    res.end('OK');
  }
}

const arch = process.arch === 'x64' ? 'amd64' : process.arch;

function version() {
  return {
    Platform: { Name: 'weft' },
    // The docker CLI prints the Engine component's Details (OS/Arch, Go version, ...).
    Components: [{
      Name: 'Engine',
      Version: SERVER_VERSION,
      Details: {
        ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: arch, KernelVersion: os.release(),
        GoVersion: `node ${process.version}`, GitCommit: '', BuildTime: '', Experimental: 'false',
      },
    }],
    Version: SERVER_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: process.version,
    Os: 'linux',
    Arch: arch,
    KernelVersion: os.release(),
    BuildTime: '',
  };
}

function info(d: ApiDeps) {
  const all = d.containers.list();
  return {
    ID: '',
    Containers: all.length,
    ContainersRunning: all.filter((c) => c.status === 'running').length,
    ContainersPaused: 0,
    ContainersStopped: all.filter((c) => c.status !== 'running').length,
    Images: 1,
    Driver: 'overlay',
    DockerRootDir: d.info.root,
    Plugins: { Network: ['bridge', 'host', 'null'], Volume: [], Log: [] },
    Name: os.hostname(),
    ServerVersion: SERVER_VERSION,
    OperatingSystem: 'weft',
    OSType: 'linux',
    Architecture: os.machine(),
    KernelVersion: os.release(),
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    FirewallBackend: { Driver: d.info.firewall },
    Networks: d.ctl.listNetworks().length,
    Swarm: { LocalNodeState: 'inactive' },
    // weft's own: encrypted overlays' WireGuard (absent outside a cluster or without WireGuard).
    ...(d.encryption ? { WeftOverlayEncryption: d.encryption.describe() } : {}),
  };
}

export function systemRoutes(d: ApiDeps): Route[] {
  return [
    { method: 'POST', path: '/weft/firewall/reload', handler: async ({ res }) => {
      await d.reloadFirewall();
      res.writeHead(204);
      res.end();
    } },
    { method: 'POST', path: '/weft/wireguard/rotate-keys', handler: async ({ res }) => {
      if (!d.encryption) {
        sendJson(res, 400, { message: 'this daemon has no WireGuard mesh: it needs --cluster-store and WireGuard' });
        return;
      }
      sendJson(res, 200, { PublicKey: await d.encryption.rotateKeys() });
    } },
    { method: 'GET', path: '/_ping', handler: ping },
    { method: 'GET', path: '/version', handler: ({ res }) => sendJson(res, 200, version()) },
    { method: 'GET', path: '/info', handler: ({ res }) => sendJson(res, 200, info(d)) },
  ];
}
