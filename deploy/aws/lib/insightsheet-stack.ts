import {
  CfnOutput,
  Fn,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import {
  API_STEPS,
  DATABASE_NAME,
  MAINTAIN_STEPS,
  MIGRATE_STEPS,
  OWNER_ROLE,
  apiUrls,
  ownerUrls,
  startWith,
} from './container-commands.js';
import type { InsightSheetSettings } from './settings.js';

/** Every ASCII punctuation character: generated passwords are letters and digits, URL-safe. */
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const API_PORT = 3000;
const REDIS_PORT = 6379;
/** Seconds an API request may still run after the drain (the API's own bound, see README). */
const IN_FLIGHT_LIMIT_SECONDS = 10;

export const API_CONTAINER = 'api';
export const MIGRATE_CONTAINER = 'migrate';

export interface InsightSheetStackProps extends StackProps {
  settings: InsightSheetSettings;
}

/**
 * InsightSheet on AWS: the API on ECS Fargate behind an Application Load Balancer, RDS
 * PostgreSQL 15 (Multi-AZ, with a read replica for analytics), ElastiCache Redis with automatic
 * failover, the secrets in Secrets Manager, autoscaling, and the alarms of the original
 * deployment document on an SNS topic. Migrations are a one-off task (`MigrationTaskFamily`)
 * that the release runs before it updates the service: see deploy/aws/scripts/release.sh.
 */
export class InsightSheetStack extends Stack {
  constructor(scope: Construct, id: string, props: InsightSheetStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const drainSeconds = Math.ceil(settings.shutdownDrainMs / 1000);

    // ---- network: public subnets for the load balancer, private ones for the tasks (NAT to
    // pull the image from ghcr.io), isolated ones for PostgreSQL and Redis.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: settings.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    const dataSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const appSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    const taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description: 'InsightSheet API and its one-off tasks',
    });
    const databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc,
      description: 'PostgreSQL: reachable from the tasks only',
      allowAllOutbound: false,
    });
    databaseSecurityGroup.addIngressRule(taskSecurityGroup, ec2.Port.tcp(5432), 'API and tasks');
    const redisSecurityGroup = new ec2.SecurityGroup(this, 'RedisSecurityGroup', {
      vpc,
      description: 'Redis: reachable from the tasks only',
      allowAllOutbound: false,
    });
    redisSecurityGroup.addIngressRule(taskSecurityGroup, ec2.Port.tcp(REDIS_PORT), 'API');

    // ---- secrets: generated once by Secrets Manager, letters and digits only.
    const generated = (id: string, description: string, length: number, username?: string) =>
      new secretsmanager.Secret(this, id, {
        description,
        generateSecretString: username
          ? {
              secretStringTemplate: JSON.stringify({ username }),
              generateStringKey: 'password',
              passwordLength: length,
              excludePunctuation: true,
            }
          : { passwordLength: length, excludePunctuation: true },
      });
    const ownerSecret = new rds.DatabaseSecret(this, 'DatabaseOwnerSecret', {
      username: OWNER_ROLE,
      excludeCharacters: PUNCTUATION,
    });
    const appRoleSecret = generated(
      'AppRoleSecret',
      'PostgreSQL role insightsheet_app (the API: data only, no DDL)',
      40,
      'insightsheet_app',
    );
    const analyticsRoleSecret = generated(
      'AnalyticsRoleSecret',
      'PostgreSQL role insightsheet_analytics (read only: the replica reads, reporting tools)',
      40,
      'insightsheet_analytics',
    );
    const jwtSecret = generated('JwtSecret', 'JWT_SECRET (production requires 64+ characters)', 96);
    const mfaKey = generated(
      'MfaEncryptionKey',
      'MFA_ENCRYPTION_KEY (kept when JWT_SECRET rotates)',
      64,
    );
    const metricsToken = generated('MetricsToken', 'METRICS_TOKEN for /metrics', 48);
    const redisAuthToken = generated(
      'RedisAuthToken',
      'Redis AUTH token (in-transit encryption)',
      64,
    );
    // Values only a person can supply: created empty (the API treats empty as unset), filled by
    // hand with `aws secretsmanager put-secret-value` (docs/OPERATIONS.md). CloudFormation does
    // not touch the value again while this template entry stays unchanged.
    const thirdPartySecret = new secretsmanager.Secret(this, 'ThirdPartySecret', {
      description: 'Stripe and SMTP credentials for the InsightSheet API (filled by hand)',
      secretObjectValue: {
        STRIPE_SECRET_KEY: SecretValue.unsafePlainText(''),
        STRIPE_WEBHOOK_SECRET: SecretValue.unsafePlainText(''),
        SMTP_URL: SecretValue.unsafePlainText(''),
      },
    });

    // ---- PostgreSQL 15: Multi-AZ primary and a read replica, encrypted, private, TLS only.
    const engine = rds.DatabaseInstanceEngine.postgres({
      version: rds.PostgresEngineVersion.VER_15,
    });
    const parameterGroup = new rds.ParameterGroup(this, 'DatabaseParameters', {
      engine,
      description: 'InsightSheet: TLS only, a known max_connections for the connections alarm',
      parameters: {
        'rds.force_ssl': '1',
        max_connections: String(settings.dbMaxConnections),
      },
    });
    const instanceType = new ec2.InstanceType(settings.dbInstanceClass);
    const database = new rds.DatabaseInstance(this, 'Database', {
      engine,
      instanceType,
      vpc,
      vpcSubnets: dataSubnets,
      securityGroups: [databaseSecurityGroup],
      credentials: rds.Credentials.fromSecret(ownerSecret),
      databaseName: DATABASE_NAME,
      multiAz: true,
      storageEncrypted: true,
      publiclyAccessible: false,
      allocatedStorage: 50,
      maxAllocatedStorage: 500,
      storageType: rds.StorageType.GP3,
      parameterGroup,
      backupRetention: Duration.days(14),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      cloudwatchLogsExports: ['postgresql'],
      autoMinorVersionUpgrade: true,
    });
    const replica = new rds.DatabaseInstanceReadReplica(this, 'ReadReplica', {
      sourceDatabaseInstance: database,
      instanceType,
      vpc,
      vpcSubnets: dataSubnets,
      securityGroups: [databaseSecurityGroup],
      // Encrypted because its source is: RDS gives a replica its source's encryption.
      publiclyAccessible: false,
      parameterGroup,
      // A replica holds nothing the primary does not: it can be deleted and made again.
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      autoMinorVersionUpgrade: true,
    });

    // ---- Redis: a primary and a replica in two zones, automatic failover behind one endpoint.
    const redisSubnets = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: 'InsightSheet Redis',
      subnetIds: vpc.selectSubnets(dataSubnets).subnetIds,
    });
    const redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: 'InsightSheet cache and rate-limit counters',
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: settings.cacheNodeType,
      numCacheClusters: 2,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      authToken: redisAuthToken.secretValue.unsafeUnwrap(),
      port: REDIS_PORT,
      cacheSubnetGroupName: redisSubnets.ref,
      securityGroupIds: [redisSecurityGroup.securityGroupId],
    });

    // ---- the API and its one-off tasks share an image, a log group and their secrets.
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const image = ecs.ContainerImage.fromRegistry(settings.image, {
      credentials: settings.registryCredentialsSecretArn
        ? secretsmanager.Secret.fromSecretCompleteArn(
            this,
            'RegistryCredentials',
            settings.registryCredentialsSecretArn,
          )
        : undefined,
    });
    const commonEnvironment: Record<string, string> = {
      ...settings.appEnvironment,
      NODE_ENV: 'production',
      FRONTEND_URL: settings.frontendUrl,
      DB_HOST: database.dbInstanceEndpointAddress,
      DB_PORT: database.dbInstanceEndpointPort,
      LOG_LEVEL: settings.appEnvironment.LOG_LEVEL ?? 'info',
    };
    const commonSecrets: Record<string, ecs.Secret> = {
      JWT_SECRET: ecs.Secret.fromSecretsManager(jwtSecret),
      MFA_ENCRYPTION_KEY: ecs.Secret.fromSecretsManager(mfaKey),
      STRIPE_SECRET_KEY: ecs.Secret.fromSecretsManager(thirdPartySecret, 'STRIPE_SECRET_KEY'),
      STRIPE_WEBHOOK_SECRET: ecs.Secret.fromSecretsManager(
        thirdPartySecret,
        'STRIPE_WEBHOOK_SECRET',
      ),
      SMTP_URL: ecs.Secret.fromSecretsManager(thirdPartySecret, 'SMTP_URL'),
    };

    const apiTask = new ecs.FargateTaskDefinition(this, 'ApiTask', {
      cpu: 1024,
      memoryLimitMiB: 2048,
      family: 'insightsheet-api',
    });
    apiTask.addContainer(API_CONTAINER, {
      image,
      command: startWith(apiUrls, API_STEPS),
      portMappings: [{ containerPort: API_PORT }],
      environment: {
        ...commonEnvironment,
        PORT: String(API_PORT),
        // One hop: the load balancer. Only the ALB reaches the tasks (security groups).
        TRUST_PROXY: '1',
        SHUTDOWN_DRAIN_MS: String(settings.shutdownDrainMs),
        DB_REPLICA_HOST: replica.dbInstanceEndpointAddress,
        REDIS_HOST: redis.attrPrimaryEndPointAddress,
        REDIS_PORT: redis.attrPrimaryEndPointPort,
      },
      secrets: {
        ...commonSecrets,
        APP_DB_PASSWORD: ecs.Secret.fromSecretsManager(appRoleSecret, 'password'),
        ANALYTICS_DB_PASSWORD: ecs.Secret.fromSecretsManager(analyticsRoleSecret, 'password'),
        REDIS_AUTH_TOKEN: ecs.Secret.fromSecretsManager(redisAuthToken),
        METRICS_TOKEN: ecs.Secret.fromSecretsManager(metricsToken),
      },
      // SIGTERM, then the drain, then in-flight requests: killed only after all of them.
      stopTimeout: Duration.seconds(drainSeconds + IN_FLIGHT_LIMIT_SECONDS + 15),
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'api' }),
    });

    // The owner's task: migrations and db:roles at each release (before the service update),
    // and, with another command, the daily partition maintenance.
    const ownerTask = new ecs.FargateTaskDefinition(this, 'MigrationTask', {
      cpu: 512,
      memoryLimitMiB: 1024,
      family: 'insightsheet-migrate',
    });
    ownerTask.addContainer(MIGRATE_CONTAINER, {
      image,
      command: startWith(ownerUrls, MIGRATE_STEPS),
      environment: commonEnvironment,
      secrets: {
        ...commonSecrets,
        DB_OWNER_PASSWORD: ecs.Secret.fromSecretsManager(ownerSecret, 'password'),
        APP_DB_PASSWORD: ecs.Secret.fromSecretsManager(appRoleSecret, 'password'),
        ANALYTICS_DB_PASSWORD: ecs.Secret.fromSecretsManager(analyticsRoleSecret, 'password'),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'migrate' }),
    });

    new events.Rule(this, 'DailyMaintenance', {
      description: 'activity:maintain as the owner (partitions are DDL the app role may not run)',
      schedule: events.Schedule.cron({ minute: '17', hour: '3' }),
      targets: [
        new eventsTargets.EcsTask({
          cluster,
          taskDefinition: ownerTask,
          subnetSelection: appSubnets,
          securityGroups: [taskSecurityGroup],
          containerOverrides: [
            { containerName: MIGRATE_CONTAINER, command: startWith(ownerUrls, MAINTAIN_STEPS) },
          ],
        }),
      ],
    });

    // ---- the service behind the load balancer.
    const certificate = settings.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', settings.certificateArn)
      : undefined;
    const web = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Api', {
      cluster,
      taskDefinition: apiTask,
      taskSubnets: appSubnets,
      securityGroups: [taskSecurityGroup],
      publicLoadBalancer: true,
      certificate,
      protocol: certificate ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      redirectHTTP: Boolean(certificate),
      sslPolicy: certificate ? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
      idleTimeout: Duration.seconds(60),
    });
    // As docs/OPERATIONS.md maps docker/haproxy.cfg onto a target group.
    web.targetGroup.configureHealthCheck({
      path: '/health/ready',
      healthyHttpCodes: '200',
      interval: Duration.seconds(5),
      timeout: Duration.seconds(4),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 2,
    });
    web.targetGroup.setAttribute(
      'deregistration_delay.timeout_seconds',
      String(Math.max(30, drainSeconds + IN_FLIGHT_LIMIT_SECONDS)),
    );

    if (settings.bootstrap) {
      // The first release starts no task: the schema and the roles do not exist yet. (The
      // pattern refuses a desired count of 0, so it is set on the resource itself.)
      (web.service.node.defaultChild as ecs.CfnService).desiredCount = 0;
    } else {
      const scaling = web.service.autoScaleTaskCount({
        minCapacity: settings.minTasks,
        maxCapacity: settings.maxTasks,
      });
      // Sign-in bursts are argon2, i.e. CPU: the seed's 70% is the target.
      scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 70 });
      scaling.scaleOnRequestCount('Requests', {
        requestsPerTarget: 30_000,
        targetGroup: web.targetGroup,
      });
    }

    // ---- alarms (the original deployment document's list) on one topic.
    const topic = new sns.Topic(this, 'Alarms', {
      displayName: 'InsightSheet alarms',
      enforceSSL: true,
    });
    if (settings.alarmEmail)
      topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));
    const notify = new cwActions.SnsAction(topic);
    const alarm = (id: string, props: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, id, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...props,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      return created;
    };
    const minute = Duration.minutes(1);
    const lbMetrics = web.loadBalancer.metrics;
    alarm('Http5xxRate', {
      alarmDescription: 'More than 1% of requests answered 5xx (the API or the load balancer)',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)',
        usingMetrics: {
          requests: lbMetrics.requestCount({ period: minute, statistic: 'Sum' }),
          target5xx: lbMetrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
            period: minute,
            statistic: 'Sum',
          }),
          elb5xx: lbMetrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
            period: minute,
            statistic: 'Sum',
          }),
        },
        period: minute,
        label: '5xx share of requests (%)',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
    });
    alarm('LatencyP99', {
      alarmDescription: 'p99 response time above 500 ms for five minutes',
      metric: web.targetGroup.metrics.targetResponseTime({ period: minute, statistic: 'p99' }),
      threshold: 0.5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
    });
    alarm('DatabaseConnections', {
      alarmDescription: `PostgreSQL connections above 80% of max_connections (${settings.dbMaxConnections})`,
      metric: database.metricDatabaseConnections({ period: minute, statistic: 'Maximum' }),
      threshold: Math.floor(settings.dbMaxConnections * 0.8),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    alarm('ReplicaLag', {
      alarmDescription:
        'The read replica is further behind than REPLICA_MAX_LAG_MS: its reads have moved to the primary',
      metric: replica.metric('ReplicaLag', { period: minute, statistic: 'Maximum' }),
      threshold: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
    });
    alarm('ServiceCpu', {
      alarmDescription: 'API tasks above 85% CPU for ten minutes: autoscaling is not keeping up',
      metric: web.service.metricCpuUtilization({ period: minute }),
      threshold: 85,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 10,
    });
    alarm('DatabaseCpu', {
      alarmDescription: 'PostgreSQL primary above 80% CPU for ten minutes',
      metric: database.metricCPUUtilization({ period: minute }),
      threshold: 80,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 10,
    });

    // ---- what the release script and the team need.
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('LoadBalancerDns', web.loadBalancer.loadBalancerDnsName, 'Point the API domain here');
    output('ClusterName', cluster.clusterName, 'ECS cluster');
    output('ServiceName', web.service.serviceName, 'ECS service of the API');
    output(
      'MigrationTaskFamily',
      ownerTask.family,
      'Run once per release, before the service update',
    );
    output('MigrationContainerName', MIGRATE_CONTAINER, 'Container of the migration task');
    output(
      'TaskSubnets',
      vpc.selectSubnets(appSubnets).subnetIds.join(','),
      'Subnets for one-off tasks',
    );
    output(
      'TaskSecurityGroupId',
      taskSecurityGroup.securityGroupId,
      'Security group for one-off tasks',
    );
    output('ThirdPartySecretArn', thirdPartySecret.secretArn, 'Fill by hand: Stripe and SMTP');
    output(
      'AnalyticsRoleSecretArn',
      analyticsRoleSecret.secretArn,
      'Read-only role for reporting tools',
    );
    output('ReplicaEndpoint', replica.dbInstanceEndpointAddress, 'Read replica (analytics role)');
    output('AlarmTopicArn', topic.topicArn, 'Subscribe the on-call rotation here');
  }

  /**
   * The region's first two zones, resolved by CloudFormation (Fn::GetAZs) rather than looked up
   * in the account at synth time: `cdk synth` then needs no credentials.
   */
  override get availabilityZones(): string[] {
    return [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())];
  }
}
