import type { ActivityRow } from '../../src/modules/activity/activity-writer.js';

/** One activity row as the buffer and the writer take it: a client event of no user by default. */
export function activityRow(overrides: Partial<ActivityRow> = {}): ActivityRow {
  return {
    id: null,
    userId: null,
    action: 'sheet.opened',
    resource: null,
    resourceId: null,
    metadata: null,
    ipAddress: null,
    userAgent: null,
    createdAt: new Date(),
    source: 'client',
    ...overrides,
  };
}
