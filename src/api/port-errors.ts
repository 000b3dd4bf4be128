/** Host-port failures as the API reports them, in dockerd's words. */
import { WeftError } from '../util/errors.js';

/** A host port that could not be published ("Bind for 0.0.0.0:8080 failed: port is already allocated"). */
export function isHostPortError(err: unknown): err is WeftError {
  return err instanceof WeftError && /^Bind for /.test(err.message);
}

/** dockerd 28's wording for a port a start cannot publish; other errors unchanged. */
export function startError(err: unknown, containerName: string): unknown {
  if (!isHostPortError(err)) return err;
  return new WeftError(
    `failed to set up container networking: driver failed programming external connectivity on endpoint ${containerName}: ${err.message}`,
    err.status);
}
