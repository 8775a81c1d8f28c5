import { UserActivity } from '../modules/activity/user-activity.entity.js';
import { Subscription } from '../modules/subscriptions/subscription.entity.js';
import { User } from '../modules/users/user.entity.js';

export const entities = [User, Subscription, UserActivity];
