import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { WebAuthnChallengePurpose } from './webauthn-challenge.entity.js';

/** Expired challenges removed by each new one: enough to keep up, bounded per request. */
const PURGE_BATCH = 100;

/** webauthn_challenges: issued challenges, each consumed at most once. */
@Injectable()
export class WebAuthnChallengesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores a new challenge, and deletes some expired ones on the way (nobody else does). */
  async insert(
    challenge: string,
    purpose: WebAuthnChallengePurpose,
    userId: string | null,
    expiresAt: Date,
    now: Date,
  ): Promise<void> {
    await this.dataSource.query(
      `WITH purged AS (
         DELETE FROM webauthn_challenges
          WHERE id IN (SELECT id FROM webauthn_challenges WHERE expires_at <= $5 LIMIT ${PURGE_BATCH})
       )
       INSERT INTO webauthn_challenges (challenge, purpose, user_id, expires_at)
       VALUES ($1, $2, $3, $4)`,
      [challenge, purpose, userId, expiresAt, now],
    );
  }

  /**
   * Deletes the challenge and answers whether it was live: issued for this purpose (and, for a
   * registration, to this user) and not expired at `now`. One statement, so two requests
   * carrying the same challenge cannot both have it; an expired one is deleted all the same.
   */
  async consume(
    challenge: string,
    purpose: WebAuthnChallengePurpose,
    userId: string | null,
    now: Date,
  ): Promise<boolean> {
    const rows = await this.dataSource.query<{ live: boolean }[]>(
      `WITH consumed AS (
         DELETE FROM webauthn_challenges
          WHERE challenge = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3::uuid
      RETURNING expires_at
       )
       SELECT expires_at > $4 AS live FROM consumed`,
      [challenge, purpose, userId, now],
    );
    return rows[0]?.live === true;
  }
}
