/**
 * How a runtime calls a CNI plugin: the verb and the attachment in environment variables,
 * the network configuration on stdin, a result or an error object on stdout. `runPlugin`
 * is the whole protocol around a plugin's verb handlers.
 */
import fs from 'node:fs';
import { CniError, CODE, errorResult } from './errors.js';
import { decodeConfig } from './config.js';
import { checkVerb, checkVersion, SUPPORTED, VERBS, type Verb, versionResult } from './versions.js';

export interface Invocation {
  command: Verb;
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_PATH, split: where delegated plugins (IPAM) are looked up. */
  path: string[];
  args: string;
  env: NodeJS.ProcessEnv;
}

export type Handler = (inv: Invocation, doc: Record<string, unknown>) => Promise<unknown>;

const NEEDS: { [v in Verb]: (keyof typeof VARS)[] } = {
  ADD: ['containerId', 'netns', 'ifname'],
  CHECK: ['containerId', 'netns', 'ifname'],
  DEL: ['containerId', 'ifname'],
  GC: [],
  STATUS: [],
  VERSION: [],
};

const VARS = { containerId: 'CNI_CONTAINERID', netns: 'CNI_NETNS', ifname: 'CNI_IFNAME' } as const;

export function readInvocation(env: NodeJS.ProcessEnv): Invocation {
  const command = env.CNI_COMMAND;
  if (!command) throw new CniError(CODE.invalidEnv, 'CNI_COMMAND is required');
  if (!(VERBS as readonly string[]).includes(command)) throw new CniError(CODE.invalidEnv, `unknown CNI_COMMAND "${command}"`);
  const inv: Invocation = {
    command: command as Verb,
    containerId: env.CNI_CONTAINERID ?? '',
    netns: env.CNI_NETNS ?? '',
    ifname: env.CNI_IFNAME ?? '',
    path: (env.CNI_PATH ?? '').split(':').filter(Boolean),
    args: env.CNI_ARGS ?? '',
    env,
  };
  for (const k of NEEDS[inv.command]) if (!inv[k]) throw new CniError(CODE.invalidEnv, `${VARS[k]} is required for ${command}`);
  if (inv.containerId && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(inv.containerId)) {
    throw new CniError(CODE.invalidEnv, `invalid CNI_CONTAINERID "${inv.containerId}"`);
  }
  if (inv.ifname && !/^[a-zA-Z0-9_.-]{1,15}$/.test(inv.ifname)) throw new CniError(CODE.invalidEnv, `invalid CNI_IFNAME "${inv.ifname}"`);
  if (inv.netns && (inv.command === 'ADD' || inv.command === 'CHECK') && !fs.existsSync(inv.netns)) {
    throw new CniError(CODE.invalidEnv, `CNI_NETNS ${inv.netns} does not exist`);
  }
  return inv;
}

/** Run one invocation: exit 0 with the handler's output, or 1 with the spec's error object. */
export async function runPlugin(handlers: { [v in Exclude<Verb, 'VERSION'>]: Handler }, stdin: string): Promise<number> {
  let version = SUPPORTED[SUPPORTED.length - 1] as string;
  try {
    const inv = readInvocation(process.env);
    const doc = decodeConfig(stdin);
    if (typeof doc.cniVersion === 'string') version = doc.cniVersion;
    if (inv.command === 'VERSION') {
      print(versionResult(version));
      return 0;
    }
    checkVerb(inv.command, checkVersion(doc.cniVersion));
    const out = await handlers[inv.command](inv, doc);
    if (out !== undefined) print(out);
    return 0;
  } catch (err) {
    print(errorResult(err, version));
    return 1;
  }
}

function print(v: unknown): void {
  fs.writeSync(1, `${JSON.stringify(v)}\n`);
}

export function readStdin(): string {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}
