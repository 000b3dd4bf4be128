/**
 * How a runtime calls a CNI plugin: the verb and the attachment in environment variables,
 * the network configuration on stdin, a result or an error object on stdout. `invoke` is
 * the whole protocol around a plugin's verb handlers, for an exec'd plugin (`runPlugin`)
 * and for the daemon serving the same invocation (src/cni/service.ts).
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

export type Handlers = { [v in Exclude<Verb, 'VERSION'>]: Handler };

/** What a plugin process would print and exit with. */
export interface Outcome { code: number; stdout: string }

/** Run one invocation: exit 0 with the handler's output, or 1 with the spec's error object. */
export async function invoke(handlers: Handlers, env: NodeJS.ProcessEnv, stdin: string): Promise<Outcome> {
  let version = SUPPORTED[SUPPORTED.length - 1] as string;
  try {
    const inv = readInvocation(env);
    const doc = decodeConfig(stdin);
    if (typeof doc.cniVersion === 'string') version = doc.cniVersion;
    if (inv.command === 'VERSION') return { code: 0, stdout: line(versionResult(version)) };
    checkVerb(inv.command, checkVersion(doc.cniVersion));
    const out = await handlers[inv.command](inv, doc);
    return { code: 0, stdout: out === undefined ? '' : line(out) };
  } catch (err) {
    return { code: 1, stdout: line(errorResult(err, version)) };
  }
}

/** The exec'd plugin: this process's environment and stdin, the outcome on stdout; returns the exit status. */
export async function runPlugin(handlers: Handlers, stdin: string): Promise<number> {
  const { code, stdout } = await invoke(handlers, process.env, stdin);
  if (stdout) fs.writeSync(1, stdout);
  return code;
}

function line(v: unknown): string {
  return `${JSON.stringify(v)}\n`;
}

export function readStdin(): string {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}
