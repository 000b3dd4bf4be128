/**
 * Errors that cross module boundaries carry the HTTP status Docker would answer with,
 * so the API layer maps them without knowing where they came from.
 */
export class WeftError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request itself is wrong (bad CIDR, unknown option, malformed JSON). */
export class InvalidArgument extends WeftError {
  constructor(message: string) { super(message, 400); }
}

/** 404: a named network, container, endpoint or pool does not exist. */
export class NotFound extends WeftError {
  constructor(message: string) { super(message, 404); }
}

/** 409: the request conflicts with existing state (name taken, address in use, overlap). */
export class Conflict extends WeftError {
  constructor(message: string) { super(message, 409); }
}

/** 409: a unit of work's checked revision changed before its commit; nothing of it was written. */
export class TxnConflict extends Conflict {}

/** 409: a host port cannot be published because it is taken; the API words it as dockerd does. */
export class HostPortConflict extends Conflict {}

/**
 * 409: the host port is held by another container or a host process. address is the host
 * address as the message shows it (the unspecified address reads 0.0.0.0).
 */
export class PortAlreadyAllocated extends HostPortConflict {
  constructor(readonly proto: string, readonly hostIp: string, readonly hostPort: number, address = hostIp || '0.0.0.0') {
    super(`Bind for ${address}:${hostPort} failed: port is already allocated`);
  }
}

/** 409: "-p 8000-8010:80" with every host port of the range held. */
export class PortRangeAllocated extends HostPortConflict {
  constructor(readonly proto: string, readonly hostIp: string, readonly first: number, readonly last: number) {
    super(`Bind for ${hostIp || '0.0.0.0'}:${first}-${last} failed: every port of the range is already allocated`);
  }
}

/** 403: the operation is refused for this object (e.g. deleting a predefined network). */
export class Forbidden extends WeftError {
  constructor(message: string) { super(message, 403); }
}

export function statusOf(err: unknown): number {
  return err instanceof WeftError ? err.status : 500;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
