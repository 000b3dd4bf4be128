/** `weft ps` (`container ls`): the rows docker's container formatter exposes. */
import type { Command } from 'commander';
import { encodeFilters } from '../client.js';
import { collect, type Ctx, intOption } from '../context.js';
import {
  displayablePorts, ellipsis, goTimeString, humanSize, runningFor, stateString, type PortSummary,
} from '../format/humanize.js';
import { labelsString } from '../format/labels.js';
import { formatList, type ListSpec } from '../format/list.js';

export interface ContainerSummary {
  Id?: string;
  Names?: string[] | null;
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: PortSummary[] | null;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  SizeRw?: number;
  SizeRootFs?: number;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: { Name?: string; Source?: string }[] | null;
}

function imageColumn(c: ContainerSummary, trunc: boolean): string {
  const image = c.Image ?? '';
  if (!image) return '<no image>';
  if (!trunc) return image;
  if (image.startsWith('sha256:')) return image.slice(7, 19);
  const at = image.indexOf('@sha256:');
  return at > 0 ? image.slice(0, at) : image;
}

function namesColumn(names: string[] | null | undefined, trunc: boolean): string {
  // Docker strips the first character unconditionally (the daemon sends "/web").
  const stripped = (names ?? []).map((n) => n.slice(1));
  if (trunc) {
    const plain = stripped.find((n) => !n.includes('/'));
    if (plain !== undefined) return plain;
  }
  return stripped.join(',');
}

/** The fields docker's container formatter exposes (keys sorted, as its json output). */
export function containerRow(c: ContainerSummary, trunc: boolean, now: number): Record<string, string | null> {
  const id = c.Id ?? '';
  const command = c.Command ?? '';
  return {
    Command: JSON.stringify(trunc ? ellipsis(command, 20) : command),
    CreatedAt: c.Created ? goTimeString(c.Created * 1000) : '',
    ID: trunc ? id.slice(0, 12) : id,
    Image: imageColumn(c, trunc),
    Labels: labelsString(c.Labels),
    LocalVolumes: '0',
    Mounts: (c.Mounts ?? []).map((m) => m.Name || m.Source || '').join(','),
    Names: namesColumn(c.Names, trunc),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    Platform: null,
    Ports: displayablePorts(c.Ports),
    RunningFor: runningFor(c.Created, now),
    Size: (c.SizeRootFs ?? 0) > 0
      ? `${humanSize(c.SizeRw ?? 0)} (virtual ${humanSize(c.SizeRootFs ?? 0)})` : humanSize(c.SizeRw ?? 0),
    State: c.State ?? '',
    // The daemon's Status is printed verbatim, as docker does; "Created"/"Exited" fallbacks
    // for a daemon that leaves it empty.
    Status: c.Status || (c.State ? stateString({ Status: c.State }, now) || c.State : ''),
  };
}

export const CONTAINER_LIST: ListSpec = {
  columns: [
    { field: 'ID', header: 'CONTAINER ID' },
    { field: 'Image', header: 'IMAGE' },
    { field: 'Command', header: 'COMMAND' },
    { field: 'RunningFor', header: 'CREATED' },
    { field: 'Status', header: 'STATUS' },
    { field: 'Ports', header: 'PORTS' },
    { field: 'Names', header: 'NAMES' },
  ],
  headers: {
    CreatedAt: 'CREATED AT', State: 'STATE', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', Size: 'SIZE',
    LocalVolumes: 'LOCAL VOLUMES',
  },
  idField: 'ID',
};

interface PsOptions {
  all?: boolean; quiet?: boolean; filter: string[]; format?: string; trunc: boolean; last?: string; latest?: boolean; size?: boolean;
}

export function registerPs(parent: Command, ctx: Ctx, group: boolean): void {
  const ps = parent.command(group ? 'ls' : 'ps');
  (group ? ps.aliases(['ps', 'list']) : ps)
    .description('List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-q, --quiet', 'Only display container IDs')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided (repeatable)', collect, [])
    .option('--format <format>', "Format output: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'")
    .option('--no-trunc', "Don't truncate output")
    .option('-n, --last <n>', 'Show n last created containers (includes all states)')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('-s, --size', 'Display total file sizes')
    .action(async (o: PsOptions) => {
      const limit = o.latest ? 1 : intOption(o.last, '--last');
      const query = {
        all: !!o.all,
        filters: encodeFilters(o.filter),
        limit: limit !== undefined && limit > 0 ? limit : undefined,
        size: !!o.size,
      };
      const list = (await ctx.client().get<ContainerSummary[]>('/containers/json', query)) ?? [];
      if (!Array.isArray(list)) throw new Error('Error reading JSON: expected an array of containers');
      const now = ctx.io.now();
      ctx.out(formatList(list.map((c) => containerRow(c, o.trunc, now)), CONTAINER_LIST, o));
    });
}
