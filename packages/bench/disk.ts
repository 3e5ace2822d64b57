import { readFileSync } from 'node:fs';

/** Bytes a process has caused to be written to storage (`/proc/<pid>/io`), or null when it is gone. */
function writeBytesOf(pid: number): number | null {
  try {
    const match = /^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Bytes written to storage by a group of processes over a scenario: what a store's commits,
 * checkpoints and log writes cost the disk. A process first seen at `stop` counts whole.
 */
export function measureWrites(pids: () => readonly number[]): { stop(): number } {
  const start = new Map<number, number>();
  for (const pid of pids()) start.set(pid, writeBytesOf(pid) ?? 0);
  return {
    stop() {
      let bytes = 0;
      for (const pid of pids()) bytes += (writeBytesOf(pid) ?? 0) - (start.get(pid) ?? 0);
      return bytes;
    },
  };
}
