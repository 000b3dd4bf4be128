/**
 * CNI errors as the spec defines them: a JSON object on stdout with a well-known code, and a
 * non-zero exit. Codes 1-99 are the spec's; 100 and up are weft's own.
 */
export const CODE = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnv: 4,
  io: 5,
  decode: 6,
  invalidConfig: 7,
  tryAgain: 11,
  notAvailable: 50,
  limitedConnectivity: 51,
  /** CHECK found the attachment differing from what ADD made. */
  checkFailed: 100,
  /** The kernel or an address pool refused the operation. */
  failed: 101,
} as const;

export class CniError extends Error {
  constructor(readonly code: number, message: string, readonly details = '') {
    super(message);
  }
}

/** The spec's error object for any failure; what is not a CniError is an I/O-level failure of the plugin. */
export function errorResult(err: unknown, cniVersion: string): { cniVersion: string; code: number; msg: string; details?: string } {
  if (err instanceof CniError) {
    return { cniVersion, code: err.code, msg: err.message, ...(err.details ? { details: err.details } : {}) };
  }
  return { cniVersion, code: CODE.failed, msg: err instanceof Error ? err.message : String(err) };
}
