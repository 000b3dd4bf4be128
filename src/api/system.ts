/** /_ping, /version, /info: what clients use to negotiate and to describe the daemon. */
import os from 'node:os';
import type { ContainerService } from '../engine/containers.js';
import type { Controller } from '../controller/controller.js';
import { API_VERSION, baseHeaders, MIN_API_VERSION, sendJson, SERVER_VERSION } from './http.js';
import type { Router } from './router.js';

export function registerSystemRoutes(r: Router, ctl: Controller, svc: ContainerService, info: { root: string; firewall: string }): void {
  r.on('GET', '/_ping', ({ req, res }) => {
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
  });

  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const version = () => ({
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
  });
  r.on('GET', '/version', ({ res }) => sendJson(res, 200, version()));

  r.on('GET', '/info', ({ res }) => {
    const all = svc.list();
    sendJson(res, 200, {
      ID: '',
      Containers: all.length,
      ContainersRunning: all.filter((c) => c.status === 'running').length,
      ContainersPaused: 0,
      ContainersStopped: all.filter((c) => c.status !== 'running').length,
      Images: 1,
      Driver: 'overlay',
      DockerRootDir: info.root,
      Plugins: { Network: ['bridge', 'host', 'null'], Volume: [], Log: [] },
      Name: os.hostname(),
      ServerVersion: SERVER_VERSION,
      OperatingSystem: 'weft',
      OSType: 'linux',
      Architecture: os.machine(),
      KernelVersion: os.release(),
      NCPU: os.cpus().length,
      MemTotal: os.totalmem(),
      FirewallBackend: { Driver: info.firewall },
      Networks: ctl.listNetworks().length,
      Swarm: { LocalNodeState: 'inactive' },
    });
  });
}
