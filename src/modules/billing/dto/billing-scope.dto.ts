import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';

/** Which billing account a read is about: the caller's own, or a workspace's. */
export class BillingScopeQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: "A workspace the caller owns or administers; none: the caller's own billing",
  })
  @IsOptional()
  @IsUUID()
  workspaceId?: string;
}
