import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { RequireScope } from '@telemetry/auth';
import { GeoRequestError } from '../geo.errors';
import { GeoErrorDto, JobDto } from '../geo.views';
import { JobRegistry, type JobView } from './job-registry';

const IN_MEMORY =
  'Jobs are held in memory by the process that runs them (the query-api or the all-in-one): a restart forgets them, and each replica knows only its own.';

@ApiTags('admin: jobs')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: GeoErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the admin scope', type: GeoErrorDto })
@RequireScope('admin')
@Controller('v1/jobs')
export class JobsHttpController {
  constructor(private readonly jobs: JobRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Background jobs of this process, newest first (a bare list, as the original)', description: IN_MEMORY })
  @ApiOkResponse({ type: [JobDto] })
  list(): JobView[] {
    return this.jobs.list();
  }

  @Get(':jobId')
  @ApiOperation({ summary: 'One background job', description: IN_MEMORY })
  @ApiOkResponse({ type: JobDto })
  @ApiNotFoundResponse({ description: '`job_not_found`', type: GeoErrorDto })
  get(@Param('jobId') jobId: string): JobView {
    const job = this.jobs.get(jobId);
    if (!job) throw new GeoRequestError('job_not_found', 404, `No job "${jobId}" in this process`, { job_id: jobId });
    return job;
  }
}
