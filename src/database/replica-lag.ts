/** A PostgreSQL WAL position ("16/B374D848") as a number that orders correctly. */
export function parseLsn(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  if (high === undefined || low === undefined) throw new Error(`Not a WAL position: ${lsn}`);
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

interface Sample {
  lsn: bigint;
  at: number;
}

/**
 * How far a replica is behind, in time: the primary's WAL position is sampled at each check,
 * and a replica's lag is the age of the oldest sample it has not replayed yet (0 when it has
 * replayed them all). Unlike now() - pg_last_xact_replay_timestamp(), this reads 0 for an idle
 * primary and needs no clock agreement between servers; its resolution is the check interval.
 */
export class ReplicaLagClock {
  private readonly samples: Sample[] = [];

  /** @param retentionMs how long samples are kept: beyond it, lag is "at least this much". */
  constructor(private readonly retentionMs: number) {}

  recordPrimary(lsn: bigint, at: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && last.lsn === lsn) return; // no new WAL: the older sample stays the reference
    this.samples.push({ lsn, at });
    while (this.samples.length > 1 && at - this.samples[0].at > this.retentionMs)
      this.samples.shift();
  }

  /**
   * The replica's lag in ms, or undefined before the primary was ever sampled. `atLeast` is set
   * when the replica is behind even the oldest kept sample: its lag is then only bounded below,
   * which also covers a replica that was already far behind when this process started.
   */
  lagOf(replayed: bigint, now: number): { ms: number; atLeast: boolean } | undefined {
    if (this.samples.length === 0) return undefined;
    const oldestMissing = this.samples.find((sample) => sample.lsn > replayed);
    if (!oldestMissing) return { ms: 0, atLeast: false };
    return {
      ms: Math.max(0, now - oldestMissing.at),
      atLeast: oldestMissing === this.samples[0],
    };
  }
}
