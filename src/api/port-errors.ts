/** Host-port failures as the API reports them, in dockerd's words. */
import { HostPortConflict, WeftError } from '../util/errors.js';

/** dockerd 28's wording for a port a start cannot publish; other errors unchanged. */
export function startError(err: unknown, containerName: string): unknown {
  if (!(err instanceof HostPortConflict)) return err;
  const prefix = `failed to set up container networking: driver failed programming external connectivity on endpoint ${containerName}`;
  return new WeftError(`${prefix}: ${err.message}`, err.status);
}
