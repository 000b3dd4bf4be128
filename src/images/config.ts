/** The image config (OCI image-spec's, as dockerd writes it): what a container of the image starts from. */
import type { HealthcheckConfig } from '../contracts/healthcheck.js';

/** The `config` member: the container defaults. */
export interface ImageRunConfig {
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: { [port: string]: object } | null;
  Labels?: { [k: string]: string } | null;
  Healthcheck?: HealthcheckConfig;
  Volumes?: { [path: string]: object } | null;
  StopSignal?: string;
}

export interface ImageConfig {
  architecture?: string;
  os?: string;
  created?: string;
  author?: string;
  comment?: string;
  config?: ImageRunConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}
