import { describe, expect, it } from '@jest/globals';
import { messageIdFor } from './mail-queue.js';

describe(messageIdFor.name, () => {
  const job = '0b7e3c1a-8a8e-4c5e-9f57-2d1f0c2b8e11';

  it('is the job id at the sender address domain, the same for every attempt', () => {
    expect(messageIdFor(job, 'InsightSheet <no-reply@insightsheet.example>')).toBe(
      `<${job}@insightsheet.example>`,
    );
    expect(messageIdFor(job, 'no-reply@mail.example')).toBe(`<${job}@mail.example>`);
  });

  it('falls back to a local domain when the sender has none', () => {
    expect(messageIdFor(job, 'InsightSheet')).toBe(`<${job}@insightsheet.local>`);
  });
});
