/**
 * POST /containers/{id}/rename, as dockerd does it: the new name is checked and claimed at
 * once (so two renames cannot take one name), then a running container's endpoints answer
 * DNS by it. The hostname stays what it was, as in dockerd.
 */
import type { Controller } from '../controller/controller.js';
import { InvalidArgument } from '../util/errors.js';
import { claimName } from './names.js';
import type { ContainerEvents } from './container-events.js';
import type { ContainerRecord } from './records.js';

export interface RenameDeps {
  controller: Controller;
  all: Iterable<ContainerRecord>;
  save(c: ContainerRecord): Promise<void>;
  events?: ContainerEvents | undefined;
}

export async function renameContainer(c: ContainerRecord, requested: string, d: RenameDeps): Promise<void> {
  const name = requested.replace(/^\//, '');
  if (!name) throw new InvalidArgument('Neither old nor new names may be empty');
  if (name === c.name) throw new InvalidArgument('Renaming a container with the same name as its current name');
  const oldName = c.name;
  c.name = claimName(name, d.all);
  await d.save(c);
  if (d.controller.getSandbox(c.id)) await d.controller.renameEndpoints(c.id, c.name);
  d.events?.log(c, 'rename', { oldName: `/${oldName}` });
}
