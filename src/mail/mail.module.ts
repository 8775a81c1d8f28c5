import { Global, Module } from '@nestjs/common';
import { JobQueue } from './job-queue.js';
import { MailQueue } from './mail-queue.js';
import { MailService } from './mail.service.js';

@Global()
@Module({
  providers: [MailService, JobQueue, MailQueue],
  exports: [JobQueue, MailQueue],
})
export class MailModule {}
