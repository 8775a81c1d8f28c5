import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workspaces (teams): the workspaces, their members with a role, and the invitations mailed
 * to join them. `seats_version` moves with every membership that begins or ends, in the same
 * transaction, so billing can use (workspace, version) as the idempotency key of a seat change.
 * At most one pending invitation per workspace and address: a second invitation to the same
 * address replaces the first one's token instead.
 */
export class Workspaces1764370000000 implements MigrationInterface {
  name = 'Workspaces1764370000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE workspaces (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(100) NOT NULL,
        seats_version bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE workspace_members (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role varchar(10) NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, user_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX workspace_members_user_id ON workspace_members (user_id)`,
    );
    await queryRunner.query(`
      CREATE TABLE workspace_invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        email varchar(254) NOT NULL CHECK (email = lower(btrim(email))),
        role varchar(10) NOT NULL CHECK (role IN ('admin', 'member')),
        token_hash bytea NOT NULL UNIQUE,
        invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
        accepted_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_sent_at timestamptz NOT NULL DEFAULT now(),
        accepted_at timestamptz,
        revoked_at timestamptz,
        CHECK (accepted_at IS NULL OR revoked_at IS NULL)
      )`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX workspace_invitations_one_pending
        ON workspace_invitations (workspace_id, email)
        WHERE accepted_at IS NULL AND revoked_at IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE workspace_invitations`);
    await queryRunner.query(`DROP TABLE workspace_members`);
    await queryRunner.query(`DROP TABLE workspaces`);
  }
}
