/** `weft network ls`: the rows docker's network formatter exposes, in natural name order. */
import type { Command } from 'commander';
import { encodeFilters } from '../client.js';
import { collect, type Ctx } from '../context.js';
import { goTimeString } from '../format/humanize.js';
import { labelsString } from '../format/labels.js';
import { formatList, type ListSpec } from '../format/list.js';
import { naturalCompare } from '../format/natural-sort.js';

export interface NetworkSummary {
  Name?: string;
  Id?: string;
  Created?: string;
  Scope?: string;
  Driver?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

/** The fields docker's network formatter exposes, keys sorted as its `json` output is. */
export function networkRow(n: NetworkSummary, trunc: boolean): Record<string, string> {
  const id = n.Id ?? '';
  return {
    CreatedAt: goTimeString(n.Created),
    Driver: n.Driver ?? '',
    ID: trunc ? id.slice(0, 12) : id,
    IPv4: String(n.EnableIPv4 === true),
    IPv6: String(n.EnableIPv6 === true),
    Internal: String(n.Internal === true),
    Labels: labelsString(n.Labels),
    Name: n.Name ?? '',
    Scope: n.Scope ?? '',
  };
}

export const NETWORK_LIST: ListSpec = {
  columns: [
    { field: 'ID', header: 'NETWORK ID' },
    { field: 'Name', header: 'NAME' },
    { field: 'Driver', header: 'DRIVER' },
    { field: 'Scope', header: 'SCOPE' },
  ],
  headers: { CreatedAt: 'CREATED AT', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS' },
  idField: 'ID',
};

export function registerNetworkLs(network: Command, ctx: Ctx): void {
  network
    .command('ls')
    .alias('list')
    .description('List networks')
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'driver=bridge')", collect, [])
    .option('--format <format>', "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'")
    .option('-q, --quiet', 'Only display network IDs')
    .option('--no-trunc', 'Do not truncate the output')
    .action(async (o: { filter: string[]; format?: string; quiet?: boolean; trunc: boolean }) => {
      const filters = encodeFilters(o.filter);
      const list = (await ctx.client().get<NetworkSummary[]>('/networks', { filters })) ?? [];
      if (!Array.isArray(list)) throw new Error('Error reading JSON: expected an array of networks');
      const sorted = [...list].sort((a, b) => naturalCompare(a.Name ?? '', b.Name ?? ''));
      ctx.out(formatList(sorted.map((n) => networkRow(n, o.trunc)), NETWORK_LIST, o));
    });
}
