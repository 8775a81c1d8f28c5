/**
 * What one deployment chooses, read from CDK context (`-c key=value` or cdk.json). Nothing is
 * looked up in the account: `cdk synth` works offline once `account` and `region` are given.
 */
export interface InsightSheetSettings {
  account: string;
  region: string;
  /** The API image, e.g. ghcr.io/<owner>/<repo>:<commit sha>; the release workflow passes it. */
  image: string;
  /** FRONTEND_URL: required in production (reset links, CORS). */
  frontendUrl: string;
  /** ACM certificate for HTTPS on the load balancer; without one it listens on HTTP only. */
  certificateArn?: string;
  /** An address subscribed to the alarm topic (it must confirm the subscription once). */
  alarmEmail?: string;
  /** Secrets Manager secret with `username` and `password` for a private registry (ghcr.io). */
  registryCredentialsSecretArn?: string;
  /**
   * The first release: everything but running API tasks (desired count 0, no autoscaling), so
   * that the migration task can create the schema and the roles before any task connects.
   */
  bootstrap: boolean;
  dbInstanceClass: string;
  /** max_connections, set in the parameter group so that the connections alarm has a known 80%. */
  dbMaxConnections: number;
  cacheNodeType: string;
  natGateways: number;
  minTasks: number;
  maxTasks: number;
  /** SHUTDOWN_DRAIN_MS: the deregistration delay and the stop timeout are derived from it. */
  shutdownDrainMs: number;
  /** Further plain (non-secret) variables for the API, e.g. ALLOWED_ORIGINS, MAIL_FROM. */
  appEnvironment: Record<string, string>;
}

export const DEFAULTS = {
  dbInstanceClass: 'm7g.large',
  dbMaxConnections: 400,
  cacheNodeType: 'cache.t4g.small',
  natGateways: 2,
  minTasks: 2,
  maxTasks: 10,
  shutdownDrainMs: 5000,
} as const;

/** Reads the settings from a construct node's context; a missing required key throws, naming it. */
export function settingsFromContext(context: (key: string) => unknown): InsightSheetSettings {
  const text = (key: string): string | undefined => {
    const value = context(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const required = (key: string): string => {
    const value = text(key);
    if (!value)
      throw new Error(`Missing CDK context "${key}": pass -c ${key}=... (see docs/OPERATIONS.md)`);
    return value;
  };
  const number = (key: string, fallback: number): number => {
    const value = text(key);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0)
      throw new Error(`CDK context "${key}" must be a whole number`);
    return parsed;
  };
  const appEnvironment = context('appEnvironment');
  return {
    account: required('account'),
    region: required('region'),
    image: required('image'),
    frontendUrl: required('frontendUrl'),
    certificateArn: text('certificateArn'),
    alarmEmail: text('alarmEmail'),
    registryCredentialsSecretArn: text('registryCredentialsSecretArn'),
    bootstrap: text('bootstrap') === 'true',
    dbInstanceClass: text('dbInstanceClass') ?? DEFAULTS.dbInstanceClass,
    dbMaxConnections: number('dbMaxConnections', DEFAULTS.dbMaxConnections),
    cacheNodeType: text('cacheNodeType') ?? DEFAULTS.cacheNodeType,
    natGateways: number('natGateways', DEFAULTS.natGateways),
    minTasks: number('minTasks', DEFAULTS.minTasks),
    maxTasks: number('maxTasks', DEFAULTS.maxTasks),
    shutdownDrainMs: number('shutdownDrainMs', DEFAULTS.shutdownDrainMs),
    appEnvironment:
      typeof appEnvironment === 'string'
        ? (JSON.parse(appEnvironment) as Record<string, string>)
        : ((appEnvironment as Record<string, string> | undefined) ?? {}),
  };
}
