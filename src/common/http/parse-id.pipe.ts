import { ParseUUIDPipe, type ArgumentMetadata } from '@nestjs/common';

/**
 * An id in a path: a UUID (v4) or 400, in the lower case the service writes. PostgreSQL
 * matches a UUID in any case, but cache keys and "is it me" checks compare text: an id sent in
 * capitals must not miss them.
 */
export class ParseIdPipe extends ParseUUIDPipe {
  constructor() {
    super({ version: '4' });
  }

  override async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    const id: string = (await super.transform(value, metadata)) ?? value;
    return id.toLowerCase();
  }
}
