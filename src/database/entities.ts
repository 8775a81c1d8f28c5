import { UserActivity } from '../modules/activity/user-activity.entity.js';
import { PasswordResetToken } from '../modules/auth/password-reset-token.entity.js';
import { RefreshToken } from '../modules/auth/refresh-token.entity.js';
import { Session } from '../modules/auth/session.entity.js';
import { Subscription } from '../modules/subscriptions/subscription.entity.js';
import { User } from '../modules/users/user.entity.js';

export const entities = [
  User,
  Subscription,
  UserActivity,
  Session,
  RefreshToken,
  PasswordResetToken,
];
