/** VNI claims in the cluster store: `vni/<n>` holds the id of the network using it, CAS-created. */
import type { VniClaims } from '../contracts/cluster.js';
import type { Store } from '../contracts/store.js';

const VNI_KEY = 'vni/';

export class StoreVniClaims implements VniClaims {
  constructor(private readonly store: Store) {}

  async claim(vni: number, networkId: string): Promise<boolean> {
    return (await this.store.compareAndSwap(VNI_KEY + vni, null, networkId)) !== undefined;
  }

  async claimed(): Promise<number[]> {
    return (await this.store.list<string>(VNI_KEY)).map((r) => Number(r.key.slice(VNI_KEY.length)));
  }

  async release(vni: number, networkId: string): Promise<void> {
    const r = await this.store.get<string>(VNI_KEY + vni);
    if (r?.value === networkId) await this.store.compareAndDelete(VNI_KEY + vni, r.revision);
  }
}
