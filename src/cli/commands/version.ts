/** `weft version`: client and server versions, as docker lays them out. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { API_VERSION } from '../client.js';
import type { Ctx } from '../context.js';
import { unescapeFormat } from '../format/list.js';
import { renderTemplate } from '../format/template/index.js';

/** The weft package version, read from the nearest package.json named "weft". */
export function cliVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'weft' && pkg.version) return pkg.version;
      } catch { /* keep looking */ }
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

interface VersionInfo {
  Platform?: { Name?: string };
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  BuildTime?: string;
  Experimental?: boolean;
  Components?: { Name?: string; Version?: string; Details?: Record<string, string> }[] | null;
}

function line(indent: number, key: string, value: string | undefined): string {
  const label = `${key}:`;
  return `${' '.repeat(indent)}${label.padEnd(19 - indent + 1)}${value ?? ''}\n`;
}

export function registerVersion(program: Command, ctx: Ctx): void {
  program
    .command('version')
    .description('Show the weft version information')
    .option('-f, --format <format>', "Format output: 'json' or a Go template")
    .action(async (o: { format?: string }) => {
      const clientInfo = {
        Version: cliVersion(),
        ApiVersion: API_VERSION,
        DefaultAPIVersion: API_VERSION,
        NodeVersion: process.version,
        Os: process.platform,
        Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      };
      let server: VersionInfo | undefined;
      let serverErr: unknown;
      try {
        server = await ctx.client().get<VersionInfo>('/version');
      } catch (err) {
        serverErr = err;
      }
      const info = { Client: clientInfo, Server: server ?? null };
      if (o.format) {
        const f = o.format.trim();
        ctx.out(f === 'json' ? `${JSON.stringify(info)}\n` : `${renderTemplate(unescapeFormat(f), info)}\n`);
      } else {
        let text = 'Client:\n';
        text += line(1, 'Version', clientInfo.Version);
        text += line(1, 'API version', clientInfo.ApiVersion);
        text += line(1, 'Node version', clientInfo.NodeVersion);
        text += line(1, 'OS/Arch', `${clientInfo.Os}/${clientInfo.Arch}`);
        if (server) {
          text += `\nServer:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}\n`;
          text += ' Engine:\n';
          text += line(2, 'Version', server.Version);
          const minimum = server.MinAPIVersion ? ` (minimum version ${server.MinAPIVersion})` : '';
          text += line(2, 'API version', `${server.ApiVersion ?? ''}${minimum}`);
          if (server.GoVersion) text += line(2, 'Go version', server.GoVersion);
          if (server.GitCommit) text += line(2, 'Git commit', server.GitCommit);
          if (server.BuildTime) text += line(2, 'Built', server.BuildTime);
          text += line(2, 'OS/Arch', `${server.Os ?? ''}/${server.Arch ?? ''}`);
          if (server.KernelVersion) text += line(2, 'Kernel version', server.KernelVersion);
          text += line(2, 'Experimental', String(server.Experimental ?? false));
          for (const c of server.Components ?? []) {
            if (c.Name === 'Engine') continue;
            text += ` ${c.Name ?? ''}:\n`;
            text += line(2, 'Version', c.Version);
            for (const [k, v] of Object.entries(c.Details ?? {})) text += line(2, k, v);
          }
        }
        ctx.out(text);
      }
      if (serverErr) throw serverErr;
    });
}
