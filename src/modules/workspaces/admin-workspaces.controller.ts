import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../common/auth/auth.decorators.js';
import { ParseIdPipe } from '../../common/http/parse-id.pipe.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { AdminWorkspaceListDto, AdminWorkspaceQueryDto, MemberDto } from './dto/workspace.dto.js';
import { WorkspacesService } from './workspaces.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/workspaces')
export class AdminWorkspacesController {
  constructor(private readonly workspaces: WorkspacesService) {}

  @Get()
  @ApiOperation({ summary: 'Every workspace, by name, a page at a time' })
  @ApiOkResponse({ type: AdminWorkspaceListDto })
  list(@Query() query: AdminWorkspaceQueryDto): Promise<AdminWorkspaceListDto> {
    return this.workspaces.listAll(query);
  }

  @Get(':id/members')
  @ApiOperation({ summary: "A workspace's members, oldest first" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: MemberDto, isArray: true })
  @ApiErrorResponse(404, 'No workspace with this id')
  members(@Param('id', ParseIdPipe) id: string): Promise<MemberDto[]> {
    return this.workspaces.membersForAdmin(id);
  }
}
