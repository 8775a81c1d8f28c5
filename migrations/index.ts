import { InitialSchema1764136800000 } from './1764136800000-InitialSchema.js';
import { AuthSessions1764140400000 } from './1764140400000-AuthSessions.js';
import { BillingAndUsage1764144000000 } from './1764144000000-BillingAndUsage.js';
import { PartitionActivity1764147600000 } from './1764147600000-PartitionActivity.js';
import { ActivityRollups1764151200000 } from './1764151200000-ActivityRollups.js';
import { ActiveUserCounts1764154800000 } from './1764154800000-ActiveUserCounts.js';
import { ActivitySourceAndDeadLetters1764158400000 } from './1764158400000-ActivitySourceAndDeadLetters.js';
import { StripeSyncOrder1764162000000 } from './1764162000000-StripeSyncOrder.js';
import { MailQueue1764165600000 } from './1764165600000-MailQueue.js';
import { SessionDevicesAndStepUp1764310000000 } from './1764310000000-SessionDevicesAndStepUp.js';
import { EmailVerification1764320000000 } from './1764320000000-EmailVerification.js';
import { KnownDevices1764330000000 } from './1764330000000-KnownDevices.js';
import { MultiFactor1764340000000 } from './1764340000000-MultiFactor.js';
import { Passkeys1764350000000 } from './1764350000000-Passkeys.js';
import { SocialSignIn1764360000000 } from './1764360000000-SocialSignIn.js';
import { Workspaces1764370000000 } from './1764370000000-Workspaces.js';
import { WorkspaceBilling1764380000000 } from './1764380000000-WorkspaceBilling.js';
import { Trials1764390000000 } from './1764390000000-Trials.js';
import { WorkspaceTrialClaims1764400000000 } from './1764400000000-WorkspaceTrialClaims.js';

/** Every migration, in order. Listed explicitly so the app, the CLI and jest load the same set. */
export const migrations = [
  InitialSchema1764136800000,
  AuthSessions1764140400000,
  BillingAndUsage1764144000000,
  PartitionActivity1764147600000,
  ActivityRollups1764151200000,
  ActiveUserCounts1764154800000,
  ActivitySourceAndDeadLetters1764158400000,
  StripeSyncOrder1764162000000,
  MailQueue1764165600000,
  SessionDevicesAndStepUp1764310000000,
  EmailVerification1764320000000,
  KnownDevices1764330000000,
  MultiFactor1764340000000,
  Passkeys1764350000000,
  SocialSignIn1764360000000,
  Workspaces1764370000000,
  WorkspaceBilling1764380000000,
  Trials1764390000000,
  WorkspaceTrialClaims1764400000000,
];
