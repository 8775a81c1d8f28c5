import { App } from 'aws-cdk-lib';
import { InsightSheetStack } from '../lib/insightsheet-stack.js';
import { settingsFromContext } from '../lib/settings.js';

const app = new App();
const settings = settingsFromContext((key) => app.node.tryGetContext(key));
new InsightSheetStack(app, app.node.tryGetContext('stackName') ?? 'InsightSheet', {
  env: { account: settings.account, region: settings.region },
  settings,
  description: 'InsightSheet API: ECS Fargate, ALB, RDS PostgreSQL 15, ElastiCache Redis',
});
app.synth();
