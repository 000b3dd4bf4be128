/**
 * Image commands as the docker CLI has them: load, save, import, images (image ls),
 * image rm/tag/inspect/prune. Archives are read whole before they are sent (the client
 * sends sized bodies); save streams the archive to the file or stdout.
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { encodeFilters, readAll } from '../client.js';
import { collect, type Ctx, ExitError, forEachTarget } from '../context.js';
import { humanSize, runningFor } from '../format/humanize.js';
import { formatInspect, formatList, type ListSpec } from '../format/list.js';

type DeleteItem = { Untagged?: string; Deleted?: string };

/** rmi's lines ("Untagged: ..." / "Deleted: ..."); prune words them in lower case. */
const deletedText = (items: DeleteItem[], untagged: string, deleted: string) =>
  items.map((i) => (i.Untagged ? `${untagged}: ${i.Untagged}\n` : `${deleted}: ${i.Deleted}\n`)).join('');

interface ImageSummary { Id: string; RepoTags?: string[] | null; Created?: number; Size?: number }

const IMAGE_LIST: ListSpec = {
  columns: [
    { field: 'Repository', header: 'REPOSITORY' },
    { field: 'Tag', header: 'TAG' },
    { field: 'ID', header: 'IMAGE ID' },
    { field: 'CreatedSince', header: 'CREATED' },
    { field: 'Size', header: 'SIZE' },
  ],
  headers: { CreatedAt: 'CREATED AT' },
  idField: 'ID',
};

/** One row per tag, as `docker images` shows them; an untagged image is <none>:<none>. */
function imageRows(list: ImageSummary[], trunc: boolean): Record<string, string>[] {
  return list.flatMap((img) => {
    const id = trunc ? img.Id.replace(/^sha256:/, '').slice(0, 12) : img.Id;
    const common = {
      ID: id, CreatedSince: runningFor(img.Created) ? `${runningFor(img.Created)} ago` : 'N/A',
      CreatedAt: new Date((img.Created ?? 0) * 1000).toISOString(), Size: humanSize(img.Size ?? 0),
    };
    const tags = img.RepoTags?.length ? img.RepoTags : ['<none>:<none>'];
    return tags.map((t) => {
      const at = t.lastIndexOf(':');
      return { Repository: t.slice(0, at), Tag: t.slice(at + 1), ...common };
    });
  });
}

/** Prints the JSON-lines answer of load and import: their `stream` text, or `status` (the new id). */
function printProgress(ctx: Ctx, body: Buffer): void {
  for (const line of body.toString('utf8').split(/\r?\n/).filter(Boolean)) {
    const m = JSON.parse(line) as { stream?: string; status?: string; error?: string };
    if (m.error) throw new Error(m.error);
    ctx.out(m.stream ?? (m.status ? `${m.status}\n` : ''));
  }
}

async function readInput(ctx: Ctx, file: string | undefined): Promise<Buffer> {
  if (file && file !== '-') return fs.readFileSync(file);
  if (ctx.io.stdinIsTTY) throw new Error('requested load from stdin, but stdin is empty');
  return readAll(ctx.io.stdin);
}

function registerTransfer(program: Command, ctx: Ctx): void {
  program.command('load').description('Load an image from a tar archive or STDIN')
    .option('-i, --input <file>', 'Read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'Suppress the load output')
    .action(async (o: { input?: string; quiet?: boolean }) => {
      const rawBody = await readInput(ctx, o.input);
      const headers = { 'Content-Type': 'application/x-tar' };
      const body = await ctx.client().request('POST', '/images/load', { rawBody, query: { quiet: o.quiet ? 1 : 0 }, headers });
      printProgress(ctx, body.body);
    });
  program.command('save').description('Save one or more images to a tar archive (streamed to STDOUT by default)')
    .argument('<image...>').option('-o, --output <file>', 'Write to a file, instead of STDOUT')
    .action(async (names: string[], o: { output?: string }) => {
      const r = await ctx.client().stream('GET', `/images/get?${new URLSearchParams(names.map((n) => ['names', n]))}`);
      await pipeline(r.stream, o.output ? fs.createWriteStream(o.output) : ctx.io.stdout);
    });
  program.command('import').description('Import the contents from a tarball to create a filesystem image')
    .argument('<file>', 'a tarball, or - for STDIN').argument('[repository]', 'REPOSITORY[:TAG]')
    .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <message>', 'Set commit message for imported image')
    .action(async (file: string, repo: string | undefined, o: { change: string[]; message?: string }) => {
      const query = new URLSearchParams({ fromSrc: '-', ...(repo ? { repo } : {}), ...(o.message ? { message: o.message } : {}) });
      for (const c of o.change) query.append('changes', c);
      const body = await ctx.client().request('POST', `/images/create?${query}`, { rawBody: await readInput(ctx, file) });
      printProgress(ctx, body.body);
    });
}

function registerList(parent: Command, ctx: Ctx, name: string): void {
  parent.command(name).description('List images')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <format>', "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'")
    .option('-q, --quiet', 'Only show image IDs').option('--no-trunc', "Don't truncate output")
    .argument('[reference]')
    .action(async (ref: string | undefined, o: { filter: string[]; format?: string; quiet?: boolean; trunc: boolean }) => {
      const filters = encodeFilters([...o.filter, ...(ref ? [`reference=${ref}`] : [])]);
      const list = (await ctx.client().get<ImageSummary[]>('/images/json', { filters })) ?? [];
      ctx.out(formatList(imageRows(list, o.trunc), IMAGE_LIST, o));
    });
}

function registerManage(image: Command, ctx: Ctx): void {
  image.command('rm').alias('remove').description('Remove one or more images').argument('<image...>')
    .option('-f, --force', 'Force removal of the image')
    .action(async (names: string[], o: { force?: boolean }) => {
      const remove = (n: string) =>
        ctx.client().json<DeleteItem[]>('DELETE', `/images/${n}`, { query: { force: o.force } });
      const print = (_n: string, items: DeleteItem[]) => ctx.out(deletedText(items ?? [], 'Untagged', 'Deleted'));
      await forEachTarget(ctx, names, remove, print, { sequential: true });
    });
  image.command('tag').description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE').argument('<source>').argument('<target>')
    .action(async (source: string, target: string) => {
      const at = target.lastIndexOf(':');
      const [repo, tag] = at > target.lastIndexOf('/') ? [target.slice(0, at), target.slice(at + 1)] : [target, ''];
      await ctx.client().request('POST', `/images/${source}/tag`, { query: { repo, tag } });
    });
  image.command('inspect').description('Display detailed information on one or more images').argument('<image...>')
    .option('-f, --format <format>', 'Format output using a custom template')
    .action(async (names: string[], o: { format?: string }) => {
      const found: unknown[] = [];
      await forEachTarget(ctx, names, (n) => ctx.client().get(`/images/${n}/json`), (_n, img) => found.push(img), { sequential: true });
      ctx.out(formatInspect(found, o.format));
    });
  image.command('prune').description('Remove unused images').option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { all?: boolean; force?: boolean }) => {
      if (!o.force) {
        ctx.err('image prune needs -f: weft does not prompt\n');
        throw new ExitError(1);
      }
      const filters = encodeFilters(o.all ? ['dangling=false'] : []);
      const r = await ctx.client().json<{ ImagesDeleted?: DeleteItem[] | null; SpaceReclaimed?: number }>(
        'POST', '/images/prune', { query: { filters } });
      const items = r?.ImagesDeleted ?? [];
      if (items.length) ctx.out(`Deleted Images:\n${deletedText(items, 'untagged', 'deleted')}\n`);
      ctx.out(`Total reclaimed space: ${humanSize(r?.SpaceReclaimed ?? 0)}\n`);
    });
}

export function registerImageCommands(program: Command, ctx: Ctx): void {
  registerTransfer(program, ctx);
  registerList(program, ctx, 'images');
  const image = program.command('image').description('Manage images');
  registerList(image, ctx, 'ls');
  registerManage(image, ctx);
}
