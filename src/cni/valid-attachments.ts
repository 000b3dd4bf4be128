/** GC's cni.dev/valid-attachments: the attachments of the network that must stay, as "containerID/ifname". */
import { CniError, CODE } from './errors.js';

export function validAttachments(doc: Record<string, unknown>): Set<string> {
  const list = doc['cni.dev/valid-attachments'] ?? [];
  if (!Array.isArray(list)) throw new CniError(CODE.invalidConfig, 'cni.dev/valid-attachments must be a list');
  return new Set(list.map((a: { containerID?: unknown; ifname?: unknown }) => {
    if (typeof a?.containerID !== 'string' || typeof a.ifname !== 'string') {
      throw new CniError(CODE.invalidConfig, 'cni.dev/valid-attachments entries need containerID and ifname');
    }
    return `${a.containerID}/${a.ifname}`;
  }));
}
