import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each workspace has its own Stripe customer and so its own trial: without a bound, a user
 * could create a workspace, take its trial, and again. A user claims at most one workspace
 * trial ever; the claim is theirs (not the workspace's), so deleting the workspace does not
 * give it back.
 */
export class WorkspaceTrialClaims1764400000000 implements MigrationInterface {
  name = 'WorkspaceTrialClaims1764400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE workspace_trial_claims (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        claimed_at timestamptz NOT NULL
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE workspace_trial_claims`);
  }
}
