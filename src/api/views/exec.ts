/** GET /exec/:id/json: Docker's ExecInspect. */
import type { ExecInstance } from '../../engine/exec.js';
import type { ExecInspect } from '../types.js';

export function execInspectJson(e: ExecInstance): ExecInspect {
  return {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode,
    ProcessConfig: { tty: e.tty, entrypoint: e.cmd[0], arguments: e.cmd.slice(1), privileged: false, user: '' },
    OpenStdin: e.attachStdin,
    OpenStderr: true,
    OpenStdout: true,
    CanRemove: !e.running && e.exitCode !== null,
    ContainerID: e.containerId,
    DetachKeys: '',
    Pid: e.pid,
  };
}
