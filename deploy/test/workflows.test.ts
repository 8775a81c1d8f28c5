import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The GitHub Actions workflows, linted by action-validator (GitHub's workflow schema), the
 * release workflow's rules, Dependabot's configuration, and the order of the AWS release script.
 */
const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const workflows = readdirSync(join(root, '.github/workflows')).filter((name) =>
  /\.ya?ml$/.test(name),
);
const validator = createRequire(import.meta.url).resolve('@action-validator/cli/cli.mjs');

type Step = { uses?: string; run?: string; with?: Record<string, string> };
type Job = {
  if?: string;
  needs?: string | string[];
  environment?: { name: string } | string;
  permissions?: Record<string, string>;
  steps: Step[];
};
type Workflow = {
  name: string;
  on: Record<string, unknown>;
  permissions?: object;
  jobs: Record<string, Job>;
};

const workflow = (name: string) =>
  parse(read(`.github/workflows/${name}`), { uniqueKeys: true }) as Workflow;

describe('GitHub Actions workflows', () => {
  it.each(workflows)('%s passes action-validator', (name) => {
    const result = spawnSync(process.execPath, [validator, join(root, '.github/workflows', name)], {
      encoding: 'utf8',
    });
    expect({ name, status: result.status, output: result.stdout + result.stderr }).toEqual({
      name,
      status: 0,
      output: '',
    });
  });

  it('the validator rejects a broken workflow (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'insightsheet-workflow-'));
    try {
      const broken = join(dir, 'broken.yml');
      writeFileSync(
        broken,
        'name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n',
      );
      expect(spawnSync(process.execPath, [validator, broken]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('release workflow', () => {
  const ci = workflow('ci.yml');
  const release = workflow('release.yml');
  const jobs = release.jobs;
  const deployJobs = Object.entries(jobs).filter(([name]) => name !== 'image');
  const allSteps = Object.values(jobs).flatMap((job) => job.steps);

  it('runs only after CI succeeded for a push to main', () => {
    expect(release.on.workflow_run).toEqual({
      workflows: [ci.name],
      types: ['completed'],
      branches: ['main'],
    });
    expect(jobs.image.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(jobs.image.if).toContain("github.event.workflow_run.event == 'push'");
    expect(release.permissions).toEqual({ contents: 'read' });
  });

  it('builds the image once, pushed to ghcr.io tagged with the commit', () => {
    const builds = allSteps.filter((step) => step.uses?.startsWith('docker/build-push-action'));
    expect(builds).toHaveLength(1);
    expect(builds[0].with).toMatchObject({ file: 'docker/Dockerfile', push: true });
    expect(read('.github/workflows/release.yml')).toContain(
      'image=ghcr.io/${GITHUB_REPOSITORY,,}:${SHA}',
    );
    expect(jobs.image.permissions).toMatchObject({ packages: 'write' });
  });

  it('deploys to the target a repository variable chooses, in a protected environment', () => {
    expect(deployJobs.map(([name]) => name).sort()).toEqual(['aws', 'railway', 'render']);
    for (const [name, job] of deployJobs) {
      expect(job.needs).toBe('image');
      expect(job.if).toBe(`vars.DEPLOY_TARGET == '${name}'`);
      expect(job.environment).toMatchObject({ name: 'production' });
    }
  });

  it('reaches AWS through OIDC, never with stored keys', () => {
    expect(jobs.aws.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const credentials = jobs.aws.steps.find((step) =>
      step.uses?.startsWith('aws-actions/configure-aws-credentials'),
    );
    expect(credentials?.with).toHaveProperty('role-to-assume');
    const text = read('.github/workflows/release.yml');
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    // No other job may mint tokens.
    for (const [name, job] of Object.entries(jobs))
      if (name !== 'aws') expect(job.permissions?.['id-token']).toBeUndefined();
  });

  it('migrates on AWS before the service update, with the image it built', () => {
    const step = jobs.aws.steps.find((entry) => entry.run?.includes('scripts/release.sh'));
    expect(step?.run).toContain('"$IMAGE"');
    expect(read('.github/workflows/release.yml')).toContain(
      'IMAGE: ${{ needs.image.outputs.image }}',
    );
  });
});

describe('CI workflow', () => {
  it('installs the CDK app and synthesises it, as .ci/run does', () => {
    const steps = workflow('ci.yml').jobs.test.steps.map((step) => step.run ?? '');
    expect(steps).toContain('npm ci --prefix deploy/aws');
    expect(steps.some((run) => run.includes('npm run synth --prefix deploy/aws'))).toBe(true);
    const script = read('.ci/run');
    expect(script).toContain('npm ci --prefix deploy/aws');
    expect(script).toContain('npm run synth --prefix deploy/aws');
  });
});

describe('Dependabot', () => {
  it('updates npm (the API and the CDK app), the Actions and the base image', () => {
    const config = parse(read('.github/dependabot.yml'), { uniqueKeys: true }) as {
      version: number;
      updates: { 'package-ecosystem': string; directory: string }[];
    };
    expect(config.version).toBe(2);
    expect(
      config.updates.map((entry) => `${entry['package-ecosystem']} ${entry.directory}`).sort(),
    ).toEqual(['docker /docker', 'github-actions /', 'npm /', 'npm /deploy/aws']);
    // Dependabot reads only literal FROM lines (an ARG in FROM is skipped).
    expect(read('docker/Dockerfile')).toMatch(/^FROM node:\S+ AS base$/m);
  });
});

describe('deploy/aws/scripts/release.sh', () => {
  /**
   * Runs the script with stand-ins for aws, npm and npx that log their arguments; `aws`
   * answers what the script asks for, with the migration task's exit code given.
   */
  function release(options: { stackExists: boolean; migrationExitCode: number }) {
    const bin = mkdtempSync(join(tmpdir(), 'insightsheet-release-'));
    const log = join(bin, 'calls.log');
    try {
      const fake = (name: string, body: string) => {
        writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
      };
      fake('npm', '');
      fake('npx', '');
      fake(
        'aws',
        `case "$*" in
  "cloudformation describe-stacks --stack-name InsightSheet") exit ${options.stackExists ? 0 : 254} ;;
  *"OutputKey=='ClusterName'"*) echo cluster-1 ;;
  *"OutputKey=='MigrationTaskFamily'"*) echo insightsheet-migrate ;;
  *"OutputKey=='MigrationContainerName'"*) echo migrate ;;
  *"OutputKey=='TaskSubnets'"*) echo subnet-a,subnet-b ;;
  *"OutputKey=='TaskSecurityGroupId'"*) echo sg-1 ;;
  "ecs describe-task-definition"*) echo '{"taskDefinitionArn":"old","revision":3,"family":"insightsheet-migrate","containerDefinitions":[{"name":"migrate","image":"ghcr.io/o/r:old"}]}' ;;
  "ecs register-task-definition"*)
    for arg in "$@"; do case "$arg" in file://*) cat "\${arg#file://}" >> "${log}" ;; esac; done
    echo arn:task-definition/insightsheet-migrate:4 ;;
  "ecs run-task"*) echo arn:task/1 ;;
  "ecs describe-tasks"*"exitCode"*) echo ${options.migrationExitCode} ;;
  "ecs describe-tasks"*) echo "Essential container in task exited" ;;
esac`,
      );
      const result = spawnSync(
        'bash',
        [
          join(root, 'deploy/aws/scripts/release.sh'),
          'ghcr.io/o/r:new',
          '-c',
          'account=123456789012',
          '-c',
          'certificateArn=',
        ],
        { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, HOME: bin } },
      );
      const calls = readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => /^(aws|npx) /.test(line))
        .filter((line) => !line.includes('OutputKey') && !line.includes('describe-stacks'));
      return {
        status: result.status,
        stderr: result.stderr,
        calls,
        log: readFileSync(log, 'utf8'),
      };
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }

  it('runs the migration task with the new image, then deploys the service', () => {
    const run = release({ stackExists: true, migrationExitCode: 0 });
    expect(run.status).toBe(0);
    expect(run.calls.map((call) => call.split(' ').slice(0, 3).join(' '))).toEqual([
      'aws ecs describe-task-definition',
      'aws ecs register-task-definition',
      'aws ecs run-task',
      'aws ecs wait',
      'aws ecs describe-tasks',
      'npx --no-install cdk',
    ]);
    expect(run.log).toContain('"image": "ghcr.io/o/r:new"');
    expect(run.log).not.toContain('"revision"');
    expect(run.calls.at(-1)).toContain('-c image=ghcr.io/o/r:new');
    // An empty optional value is dropped, not passed as "".
    expect(run.calls.at(-1)).not.toContain('certificateArn');
  });

  it('stops before the service update when the migration fails', () => {
    const run = release({ stackExists: true, migrationExitCode: 1 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('the service was not updated');
    expect(run.calls.some((call) => call.startsWith('npx'))).toBe(false);
  });

  it('creates the infrastructure without API tasks in the first release', () => {
    const run = release({ stackExists: false, migrationExitCode: 0 });
    const deploys = run.calls.filter((call) => call.startsWith('npx'));
    expect(deploys).toHaveLength(2);
    expect(deploys[0]).toContain('-c bootstrap=true');
    expect(deploys[1]).not.toContain('bootstrap');
  });
});
