import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { BillingScopeQueryDto } from './billing-scope.dto.js';

export class InvoicesQueryDto extends BillingScopeQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 24, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 24;
}

export class InvoiceDto {
  @ApiProperty({ example: 'in_1Pgc6tB7WZ01zgkWu9fdqL6I' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, description: 'null while a draft' })
  number!: string | null;

  @ApiProperty({ enum: ['draft', 'open', 'paid', 'uncollectible', 'void'] })
  status!: string | null;

  @ApiProperty({ type: 'integer', description: 'In the smallest currency unit' })
  total!: number;

  @ApiProperty({ example: 'usd' })
  currency!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, nullable: true, description: "Stripe's page for the invoice" })
  hostedInvoiceUrl!: string | null;

  @ApiProperty({ type: String, nullable: true })
  pdfUrl!: string | null;
}
