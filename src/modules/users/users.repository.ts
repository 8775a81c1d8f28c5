import { ConflictException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type EntityManager, type Repository } from 'typeorm';
import { returnedRows } from '../../database/returned-rows.js';
import { User, type UserRole } from './user.entity.js';

const UNIQUE_VIOLATION = '23505';

export interface AdminUserQuery {
  search?: string;
  role?: UserRole;
  page: number;
  limit: number;
}

/** An extra condition on the list, written by the module that owns what it reads. */
export interface UserCondition {
  sql: string;
  parameters: object;
}

export interface NewUser {
  email: string;
  /** Null for an account that signs in another way (a social identity). */
  passwordHash: string | null;
  name: string;
  role?: UserRole;
  /** Only for an address proven by other means (an operator creating an admin). */
  emailVerified?: boolean;
}

/** Every users query, by name. Emails arrive here already normalised. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Inside the caller's transaction; a taken email (any case) is a 409, never a 500. */
  async create(manager: EntityManager, fields: NewUser): Promise<User> {
    const repository = manager.getRepository(User);
    const { emailVerified, ...columns } = fields;
    try {
      const inserted = await repository.insert(
        repository.create({ ...columns, emailVerifiedAt: emailVerified ? new Date() : null }),
      );
      return repository.findOneOrFail({ where: { id: inserted.identifiers[0].id as string } });
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) {
        throw new ConflictException('An account with this email already exists');
      }
      throw error;
    }
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id } });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOne({ where: { email } });
  }

  /** Address and name of each of these users (those that exist). */
  findContacts(ids: string[]): Promise<Pick<User, 'id' | 'email' | 'name'>[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.users.find({
      where: { id: In(ids) },
      select: { id: true, email: true, name: true },
    });
  }

  /** The only read that includes the password hash. */
  findWithPasswordHash(where: { email: string } | { id: string }): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where(
        'email' in where ? 'user.email = :email' : 'user.id = :id',
        'email' in where ? { email: where.email } : { id: where.id },
      )
      .getOne();
  }

  /** What every authenticated request checks: version, active flag and role. */
  async findAccessState(
    id: string,
  ): Promise<Pick<User, 'tokenVersion' | 'isActive' | 'role'> | null> {
    return this.users.findOne({
      where: { id },
      select: { id: true, tokenVersion: true, isActive: true, role: true },
    });
  }

  async updatePasswordHash(
    id: string,
    passwordHash: string,
    manager: EntityManager = this.users.manager,
  ): Promise<void> {
    await manager.getRepository(User).update({ id }, { passwordHash });
  }

  async updateName(id: string, name: string): Promise<void> {
    await this.users.update({ id }, { name });
  }

  /** Marks the address verified if it is still the user's; false when it is not. */
  async markEmailVerified(id: string, email: string, manager: EntityManager): Promise<boolean> {
    const result = await manager
      .getRepository(User)
      .update({ id, email }, { emailVerifiedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Replaces the address by a proven one (so it is verified), in the caller's transaction; a
   * taken address (any case) is a 409. False when there is no such user.
   */
  async replaceEmail(id: string, email: string, manager: EntityManager): Promise<boolean> {
    try {
      const rows: unknown[] | [unknown[], number] = await manager.query(
        `UPDATE users
            SET email = $2, email_verified_at = now()
          WHERE id = $1
      RETURNING 1`,
        [id, email],
      );
      return returnedRows(rows).length > 0;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ConflictException('An account with this email already exists');
      }
      throw error;
    }
  }

  /**
   * Locks the user's row until the caller's transaction ends and says whether the account has
   * a password (password_hash may be null for an account that signs in otherwise). Null when
   * there is no such user.
   */
  async lockSignInState(
    id: string,
    manager: EntityManager,
  ): Promise<{ hasPassword: boolean } | null> {
    const rows = await manager.query<{ has_password: boolean }[]>(
      `SELECT password_hash IS NOT NULL AS has_password FROM users WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] ? { hasPassword: rows[0].has_password } : null;
  }

  async touchLastLogin(id: string): Promise<void> {
    await this.users.update({ id }, { lastLogin: () => 'now()' });
  }

  /**
   * Changes what was asked and bumps the token version in one statement, so every access
   * token issued before is refused from now on. False when there is no such user.
   */
  async updateAccess(
    id: string,
    changes: { role?: UserRole; isActive?: boolean },
    manager: EntityManager = this.users.manager,
  ): Promise<boolean> {
    const rows: unknown[] | [unknown[], number] = await manager.query(
      `UPDATE users
          SET token_version = token_version + 1,
              role = COALESCE($2, role),
              is_active = COALESCE($3, is_active)
        WHERE id = $1
    RETURNING 1`,
      [id, changes.role ?? null, changes.isActive ?? null],
    );
    return returnedRows(rows).length > 0;
  }

  async delete(id: string, manager: EntityManager): Promise<boolean> {
    const result = await manager.getRepository(User).delete({ id });
    return (result.affected ?? 0) > 0;
  }

  async list(
    query: AdminUserQuery,
    condition?: UserCondition,
  ): Promise<{ items: User[]; total: number }> {
    const builder = this.users
      .createQueryBuilder('user')
      .orderBy('user.createdAt', 'DESC')
      .addOrderBy('user.id', 'ASC')
      .skip((query.page - 1) * query.limit)
      .take(query.limit);
    if (query.search) {
      const pattern = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      builder.andWhere('(user.email ILIKE :pattern OR user.name ILIKE :pattern)', { pattern });
    }
    if (query.role) builder.andWhere('user.role = :role', { role: query.role });
    if (condition) builder.andWhere(condition.sql, condition.parameters);
    const [items, total] = await builder.getManyAndCount();
    return { items, total };
  }
}
