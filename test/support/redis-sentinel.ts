import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type RedisClientType } from '@keyv/redis';
import { eventually } from './eventually.js';
import { freePort } from './server-process.js';

const SERVER_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const SENTINEL_BIN = process.env.REDIS_SENTINEL_BIN ?? 'redis-sentinel';

/** Whether Debian's redis-sentinel (or REDIS_SENTINEL_BIN) is installed; .ci/run installs it. */
export const sentinelInstalled = (): boolean =>
  spawnSync(SENTINEL_BIN, ['--version'], { stdio: 'ignore' }).status === 0;

export interface SentinelTimings {
  /** How long a primary must not answer before a sentinel calls it down (subjectively). */
  downAfterMs: number;
  /** Sentinel's failover-timeout: the bound on one failover attempt, and the retry pause. */
  failoverTimeoutMs: number;
}

export interface RedisNode {
  host: string;
  port: number;
}

interface Member {
  port: number;
  child: ChildProcess;
}

/**
 * A Redis primary and one replica, watched by `sentinels` Redis Sentinels (quorum: a
 * majority), each its own process on a free port with its files in a temporary directory.
 * The data nodes and the sentinels each have a password, as in production.
 */
export class RedisSentinelGroup {
  readonly name = 'mymaster';
  readonly password = 'data-node-secret';
  readonly sentinelPassword = 'sentinel-secret';
  readonly timings: SentinelTimings;
  private readonly sentinelCount: number;
  private readonly dir = mkdtempSync(join(tmpdir(), 'insightsheet-sentinel-'));
  private readonly nodes: Member[] = [];
  private readonly sentinels: Member[] = [];
  private readonly clients = new Map<string, RedisClientType>();

  constructor(options: { sentinels?: number } & Partial<SentinelTimings> = {}) {
    this.sentinelCount = options.sentinels ?? 3;
    this.timings = {
      downAfterMs: options.downAfterMs ?? 1000,
      failoverTimeoutMs: options.failoverTimeoutMs ?? 3000,
    };
  }

  /** REDIS_SENTINELS for the API. */
  get sentinelList(): string {
    return this.sentinels.map(({ port }) => `127.0.0.1:${port}`).join(',');
  }

  /** REDIS_URL for the API in Sentinel mode: only the password is used. */
  get credentialsUrl(): string {
    return `redis://:${this.password}@127.0.0.1:1`;
  }

  /** The data nodes' ports, the first started as primary. */
  get nodePorts(): number[] {
    return this.nodes.map(({ port }) => port);
  }

  async start(): Promise<void> {
    const [primaryPort, replicaPort] = [await freePort(), await freePort()];
    this.nodes.push(this.startNode(primaryPort));
    this.nodes.push(this.startNode(replicaPort, primaryPort));
    await eventually(
      'the replica to sync with the primary',
      async () => (await this.info(replicaPort, 'replication')).includes('master_link_status:up'),
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    for (let i = 0; i < this.sentinelCount; i++) {
      this.sentinels.push(await this.startSentinel(primaryPort));
    }
    // Before a failover can be voted, every sentinel must know the replica and the others
    // (they find each other through the primary's hello channel, every 2 s).
    await eventually(
      'every sentinel to know the replica and the other sentinels',
      async () => {
        for (const { port } of this.sentinels) {
          const master = await this.sentinelMaster(port);
          if (master['num-slaves'] !== '1') return false;
          if (Number(master['num-other-sentinels']) !== this.sentinelCount - 1) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  /** The primary as the sentinels that are up name it. */
  async primary(): Promise<RedisNode> {
    let last: unknown;
    for (const { port } of this.sentinels) {
      try {
        const client = await this.client(port, this.sentinelPassword);
        const reply = (await client.sendCommand([
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          this.name,
        ])) as [string, string];
        return { host: reply[0], port: Number(reply[1]) };
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  /** SIGKILLs the current primary (no goodbye on its connections); returns its port. */
  async killPrimary(): Promise<number> {
    const { port } = await this.primary();
    const node = this.nodes.find((member) => member.port === port);
    if (!node) throw new Error(`the primary ${port} is not one of this group's nodes`);
    await kill(node.child);
    return port;
  }

  /** Waits for the sentinels to name a primary other than `formerPort` that answers as one. */
  async waitForPromotion(formerPort: number, timeoutMs: number): Promise<RedisNode> {
    return eventually(
      `a replica to be promoted in place of ${formerPort}`,
      async () => {
        const primary = await this.primary();
        if (primary.port === formerPort) return undefined;
        const role = (await (await this.client(primary.port)).sendCommand(['ROLE'])) as [string];
        return role[0] === 'master' ? primary : undefined;
      },
      { timeoutMs, intervalMs: 20 },
    );
  }

  /** Replication catch-up: the replica has every write the primary has acknowledged. */
  async replicaCaughtUp(): Promise<boolean> {
    const [primaryPort, replicaPort] = this.nodePorts;
    const offset = (text: string, field: string) =>
      Number(new RegExp(`${field}:(\\d+)`).exec(text)?.[1] ?? -1);
    const primary = offset(await this.info(primaryPort, 'replication'), 'master_repl_offset');
    const replica = offset(await this.info(replicaPort, 'replication'), 'slave_repl_offset');
    return primary >= 0 && replica >= primary;
  }

  /** A command against one data node directly. */
  async command<T>(port: number, args: string[]): Promise<T> {
    return (await (await this.client(port)).sendCommand(args)) as T;
  }

  async stop(): Promise<void> {
    try {
      for (const client of this.clients.values()) if (client.isOpen) client.destroy();
    } finally {
      await Promise.all([...this.sentinels, ...this.nodes].map(({ child }) => kill(child)));
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private startNode(port: number, primaryPort?: number): Member {
    const args = [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir],
      ...['--dbfilename', `dump-${port}.rdb`, '--save', '', '--appendonly', 'no'],
      ...['--requirepass', this.password, '--masterauth', this.password],
      ...(primaryPort ? ['--replicaof', '127.0.0.1', String(primaryPort)] : []),
    ];
    return { port, child: spawn(SERVER_BIN, args, { stdio: 'ignore' }) };
  }

  private async startSentinel(primaryPort: number): Promise<Member> {
    const port = await freePort();
    const file = join(this.dir, `sentinel-${port}.conf`);
    // Sentinel rewrites its configuration file (what it learns), so each has its own.
    const quorum = Math.floor(this.sentinelCount / 2) + 1;
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${this.dir}`,
        `requirepass ${this.sentinelPassword}`,
        `sentinel sentinel-pass ${this.sentinelPassword}`,
        `sentinel monitor ${this.name} 127.0.0.1 ${primaryPort} ${quorum}`,
        `sentinel auth-pass ${this.name} ${this.password}`,
        `sentinel down-after-milliseconds ${this.name} ${this.timings.downAfterMs}`,
        `sentinel failover-timeout ${this.name} ${this.timings.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${this.name} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn(SENTINEL_BIN, [file], { stdio: 'ignore' });
    await eventually(
      `redis-sentinel to answer on port ${port}`,
      async () => (await this.sentinelMaster(port)).name === this.name,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    return { port, child };
  }

  private async sentinelMaster(port: number): Promise<Record<string, string>> {
    const client = await this.client(port, this.sentinelPassword);
    const reply = (await client.sendCommand(['SENTINEL', 'MASTER', this.name])) as string[];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) fields[reply[i]] = reply[i + 1];
    return fields;
  }

  private async info(port: number, section: string): Promise<string> {
    return (await (await this.client(port)).sendCommand(['INFO', section])) as string;
  }

  /** A connection per (port, password), opened on first use; no reconnects, no queue. */
  private async client(port: number, password = this.password): Promise<RedisClientType> {
    const name = `${port}:${password}`;
    const existing = this.clients.get(name);
    if (existing?.isReady) return existing;
    if (existing?.isOpen) existing.destroy();
    this.clients.delete(name);
    const client = createClient({
      password,
      disableOfflineQueue: true,
      socket: { host: '127.0.0.1', port, connectTimeout: 1000, reconnectStrategy: false },
    }) as RedisClientType;
    client.on('error', () => undefined);
    await client.connect();
    this.clients.set(name, client);
    return client;
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
