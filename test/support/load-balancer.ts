import { request, createServer, type Server } from 'node:http';

/**
 * A round-robin HTTP load balancer with active health checks, as a platform's would: every
 * `intervalMs` it asks each backend's /health/ready and sends requests only to those that
 * answered 200. With no healthy backend it answers 503.
 */
export class LoadBalancer {
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly healthy = new Set<string>();
  private next = 0;
  /** Requests forwarded to each backend. */
  readonly served = new Map<string, number>();
  url = '';

  constructor(
    private readonly backends: string[],
    private readonly intervalMs = 100,
  ) {}

  /** The backends that answered their last health check with 200. */
  get inRotation(): string[] {
    return this.backends.filter((backend) => this.healthy.has(backend));
  }

  async start(): Promise<void> {
    await this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.intervalMs);
    this.server = createServer((incoming, outgoing) => {
      const pool = this.backends.filter((backend) => this.healthy.has(backend));
      if (!pool.length) {
        outgoing.writeHead(503).end();
        return;
      }
      const backend = pool[this.next++ % pool.length];
      this.served.set(backend, (this.served.get(backend) ?? 0) + 1);
      const target = new URL(incoming.url ?? '/', backend);
      const forwarded = request(
        target,
        { method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => {
        if (!outgoing.headersSent) outgoing.writeHead(502);
        outgoing.end();
      });
      incoming.pipe(forwarded);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private async checkAll(): Promise<void> {
    await Promise.all(
      this.backends.map(async (backend) => {
        try {
          const answer = await fetch(`${backend}/health/ready`, {
            signal: AbortSignal.timeout(this.intervalMs * 5),
          });
          await answer.body?.cancel();
          if (answer.status === 200) this.healthy.add(backend);
          else this.healthy.delete(backend);
        } catch {
          this.healthy.delete(backend);
        }
      }),
    );
  }
}
