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

/** 409 for a host port another process holds (found when binding it). */
export class PortInUse extends Conflict {
  constructor(message: string, readonly proto: string, readonly hostPort: number) { super(message); }
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
