import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYTICS_ROLE, APP_ROLE, apiUrls, startWith } from '../lib/container-commands.js';
import { API_CONTAINER, InsightSheetStack, MIGRATE_CONTAINER } from '../lib/insightsheet-stack.js';
import { settingsFromContext } from '../lib/settings.js';

/** The stack as `cdk synth -c ...` builds it: no account lookup, no credentials. */
function synth(extraContext: Record<string, string> = {}): Template {
  const context: Record<string, string> = {
    account: '123456789012',
    region: 'eu-west-1',
    image: 'ghcr.io/example/insightsheet-api:0123abc',
    frontendUrl: 'https://app.example.com',
    ...extraContext,
  };
  // CloudFormation's template checks run in `cdk synth` (.ci/run), where cdk.json makes any
  // finding an error; here they would only add seconds.
  const app = new App({ builtinCloudFormationValidation: false });
  const settings = settingsFromContext((key) => context[key]);
  const stack = new InsightSheetStack(app, 'InsightSheet', {
    env: { account: settings.account, region: settings.region },
    settings,
  });
  return Template.fromStack(stack);
}

type Container = {
  Name: string;
  Command: string[];
  StopTimeout?: number;
  Environment: { Name: string; Value: unknown }[];
  Secrets: { Name: string; ValueFrom: unknown }[];
};

function container(template: Template, name: string): Container {
  const definitions = Object.values(template.findResources('AWS::ECS::TaskDefinition')).flatMap(
    (resource) => resource.Properties.ContainerDefinitions as Container[],
  );
  const found = definitions.find((definition) => definition.Name === name);
  if (!found) throw new Error(`No container ${name}`);
  return found;
}

const environment = (of: Container) =>
  Object.fromEntries(of.Environment.map(({ Name, Value }) => [Name, Value]));

const logicalId = (template: Template, type: string, props: Record<string, unknown>) => {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0];
};

describe('InsightSheetStack', () => {
  const template = synth();
  const api = container(template, API_CONTAINER);
  const drainMs = Number(environment(api).SHUTDOWN_DRAIN_MS);

  it('health-checks /health/ready on the target group, as docker/haproxy.cfg does', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/health/ready',
      Matcher: { HttpCode: '200' },
      HealthCheckIntervalSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
    });
  });

  it('deregisters and stops a task only after SHUTDOWN_DRAIN_MS and its in-flight requests', () => {
    expect(drainMs).toBe(5000);
    const [targetGroup] = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'),
    );
    const attributes = targetGroup.Properties.TargetGroupAttributes as {
      Key: string;
      Value: string;
    }[];
    const delay = attributes.find((entry) => entry.Key === 'deregistration_delay.timeout_seconds');
    expect(Number(delay?.Value)).toBeGreaterThan(drainMs / 1000);
    // After the drain the API lets in-flight requests finish for up to 10 s more.
    expect(api.StopTimeout).toBeGreaterThan(drainMs / 1000 + 10);
  });

  it('runs PostgreSQL 15 Multi-AZ, encrypted, private, TLS only', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^15'),
      MultiAZ: true,
      StorageEncrypted: true,
      PubliclyAccessible: false,
      DeletionProtection: true,
    });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
    });
  });

  it('has a read replica of the primary, wired to READ_REPLICA_URL as the analytics role', () => {
    const primary = logicalId(template, 'AWS::RDS::DBInstance', { MultiAZ: true });
    const replica = logicalId(template, 'AWS::RDS::DBInstance', {
      SourceDBInstanceIdentifier: Match.anyValue(),
    });
    expect(
      JSON.stringify(template.toJSON().Resources[replica].Properties.SourceDBInstanceIdentifier),
    ).toContain(`"Ref":"${primary}"`);
    expect(environment(api).DB_REPLICA_HOST).toEqual({
      'Fn::GetAtt': [replica, 'Endpoint.Address'],
    });
    expect(environment(api).DB_HOST).toEqual({ 'Fn::GetAtt': [primary, 'Endpoint.Address'] });
    expect(api.Command).toEqual(startWith(apiUrls, ['node dist/src/main.js']));
    expect(apiUrls.READ_REPLICA_URL).toContain(
      `${ANALYTICS_ROLE}:$ANALYTICS_DB_PASSWORD@$DB_REPLICA_HOST`,
    );
    expect(apiUrls.DATABASE_URL).toContain(`${APP_ROLE}:$APP_DB_PASSWORD@$DB_HOST`);
  });

  it('keeps every database private: no public instance, reachable from the tasks only', () => {
    for (const instance of Object.values(template.findResources('AWS::RDS::DBInstance'))) {
      expect(instance.Properties.PubliclyAccessible).toBe(false);
    }
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map(
      (rule) => rule.Properties,
    );
    const databaseRules = rules.filter((rule) => rule.FromPort === 5432);
    expect(databaseRules).toHaveLength(1);
    expect(databaseRules[0].CidrIp).toBeUndefined();
    expect(databaseRules[0].SourceSecurityGroupId).toBeDefined();
    expect(JSON.stringify(template.toJSON())).not.toMatch(
      /"CidrIp":"0\.0\.0\.0\/0","FromPort":5432/,
    );
  });

  it('runs Redis with automatic failover, encrypted at rest and in transit', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      NumCacheClusters: 2,
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
      AuthToken: Match.anyValue(),
    });
    expect(apiUrls.REDIS_URL).toMatch(/^rediss:\/\//);
  });

  it('gives the API its secrets from Secrets Manager, never as plain values', () => {
    const names = api.Secrets.map((secret) => secret.Name).sort();
    expect(names).toEqual(
      expect.arrayContaining([
        'JWT_SECRET',
        'MFA_ENCRYPTION_KEY',
        'APP_DB_PASSWORD',
        'ANALYTICS_DB_PASSWORD',
        'REDIS_AUTH_TOKEN',
        'STRIPE_SECRET_KEY',
        'STRIPE_WEBHOOK_SECRET',
      ]),
    );
    for (const name of names) expect(environment(api)).not.toHaveProperty(name);
    // The API never holds the owner's password: it connects as the app role.
    expect(names).not.toContain('DB_OWNER_PASSWORD');
    expect(environment(api)).toMatchObject({ NODE_ENV: 'production', TRUST_PROXY: '1' });
  });

  it('runs migrations and db:roles as the owner in a task of their own', () => {
    const migrate = container(template, MIGRATE_CONTAINER);
    expect(migrate.Command[2]).toMatch(
      /insightsheet:\$DB_OWNER_PASSWORD@.* && node node_modules\/typeorm\/cli\.js migration:run -d dist\/src\/data-source\.js && exec node dist\/src\/cli\.js db:roles --app-role insightsheet_app --analytics-role insightsheet_analytics$/,
    );
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Family: 'insightsheet-migrate' });
    template.hasOutput('MigrationTaskFamily', Match.anyValue());
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          EcsParameters: Match.anyValue(),
          Input: Match.stringLikeRegexp('activity:maintain'),
        }),
      ],
    });
  });

  it('scales on CPU and on requests per target', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
    });
    for (const metric of ['ECSServiceAverageCPUUtilization', 'ALBRequestCountPerTarget'])
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: metric }),
        }),
      });
  });

  it("raises the original document's alarms on one SNS topic", () => {
    const topic = logicalId(template, 'AWS::SNS::Topic', {});
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties,
    );
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
    const named = (metric: string) => alarms.filter((alarm) => alarm.MetricName === metric);

    const errorRate = alarms.find((alarm) =>
      JSON.stringify(alarm.Metrics ?? []).includes('HTTPCode_Target_5XX_Count'),
    );
    expect(errorRate).toMatchObject({ Threshold: 1 });
    expect(JSON.stringify(errorRate?.Metrics)).toContain('HTTPCode_ELB_5XX_Count');
    expect(named('TargetResponseTime')).toEqual([
      expect.objectContaining({ ExtendedStatistic: 'p99', Threshold: 0.5 }),
    ]);
    expect(named('DatabaseConnections')).toEqual([
      expect.objectContaining({ Namespace: 'AWS/RDS', Threshold: 320 }),
    ]);
    expect(named('ReplicaLag')).toEqual([
      expect.objectContaining({ Namespace: 'AWS/RDS', Threshold: 5 }),
    ]);
    expect(
      named('CPUUtilization')
        .map((alarm) => alarm.Namespace)
        .sort(),
    ).toEqual(['AWS/ECS', 'AWS/RDS']);
  });

  it('starts no API task in the first release, before the schema and the roles exist', () => {
    const first = synth({ bootstrap: 'true' });
    first.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 0 });
    first.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    // Later releases leave the count to autoscaling.
    expect(
      Object.values(template.findResources('AWS::ECS::Service'))[0].Properties.DesiredCount,
    ).toBeUndefined();
  });
});

describe('container start commands', () => {
  it('assemble URLs the API accepts from the injected parts, then exec the process', () => {
    // A stand-in for node prints what the real one would receive.
    const bin = mkdtempSync(join(tmpdir(), 'insightsheet-sh-'));
    try {
      writeFileSync(
        join(bin, 'node'),
        '#!/bin/sh\nprintf "%s\\n" "$*" "$DATABASE_URL" "$READ_REPLICA_URL" "$REDIS_URL"\n',
      );
      chmodSync(join(bin, 'node'), 0o755);
      const [command, flag, script] = startWith(apiUrls, ['node dist/src/main.js']);
      const output = execFileSync(command, [flag, script], {
        encoding: 'utf8',
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          APP_DB_PASSWORD: 'App0Password',
          ANALYTICS_DB_PASSWORD: 'Analytics0Password',
          DB_HOST: 'primary.abc.eu-west-1.rds.amazonaws.com',
          DB_REPLICA_HOST: 'replica.abc.eu-west-1.rds.amazonaws.com',
          DB_PORT: '5432',
          REDIS_AUTH_TOKEN: 'Token0123',
          REDIS_HOST: 'master.redis.abc.euw1.cache.amazonaws.com',
          REDIS_PORT: '6379',
        },
      }).split('\n');
      expect(output[0]).toBe('dist/src/main.js');
      const primary = new URL(output[1]);
      expect([primary.username, primary.password, primary.hostname, primary.port]).toEqual([
        APP_ROLE,
        'App0Password',
        'primary.abc.eu-west-1.rds.amazonaws.com',
        '5432',
      ]);
      expect(primary.searchParams.get('sslmode')).toBe('require');
      const replica = new URL(output[2]);
      expect([replica.username, replica.hostname]).toEqual([
        ANALYTICS_ROLE,
        'replica.abc.eu-west-1.rds.amazonaws.com',
      ]);
      expect(output[3]).toBe('rediss://:Token0123@master.redis.abc.euw1.cache.amazonaws.com:6379');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
