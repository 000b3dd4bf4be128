/** A daemon's visible state, for tests that assert a request changed nothing. */
import type { TestDaemon } from './daemon.js';

/** What a refusal must leave as it was: the API's lists and the host's links and addresses. */
export async function snapshot(d: TestDaemon): Promise<string> {
  const nets = (await d.api('GET', '/networks')).body.map((n: { Id: string; Containers?: object }) => n.Id).sort();
  const ctrs = (await d.api('GET', '/containers/json?all=1')).body
    .map((c: { Id: string; State: string; NetworkSettings?: { Networks?: object } }) =>
      `${c.Id} ${c.State} ${Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(',')}`).sort();
  // Names, masters and addresses only: link state and IPv6 DAD flags change on their own.
  const links = d.host.sh('ip -o link').trim().split('\n')
    .map((l) => `${l.split(':')[1].trim()} ${/ master (\S+)/.exec(l)?.[1] ?? ''}`).sort();
  const addrs = d.host.sh('ip -o addr').trim().split('\n').map((l) => l.split(/\s+/).slice(1, 4).join(' ')).sort();
  return JSON.stringify({ nets, ctrs, links, addrs }, null, 1);
}
