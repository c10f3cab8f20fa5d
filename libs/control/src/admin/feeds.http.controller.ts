import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Inject, Injectable, Param, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AuthenticatedRequest, Principal, RequireScope } from '@telemetry/auth';
import { ControlCommandError } from '../control-decision';
import { CONTROL_CONFIG, ControlConfig } from '../control.config';
import { privateHostProblem } from '../intel/feed-address-policy';
import { ControlPlaneService } from '../control-plane.service';
import { Feed, feedDueAt, visibleFeed } from '../intel/feed.decider';
import { FeedScheduler } from '../intel/feed-scheduler';
import { parseRegisterFeed } from './admin-request.parser';
import { AdminErrorDto, commandMeta, principalOf } from './admin.views';
import { intelActorOf, targetTenantOf, visibleTo } from './indicators.http.controller';
import { FeedDeletedDto, FeedDto, FeedListDto, feedView, RegisterFeedDto } from './intel.views';

@Injectable()
export class FeedsService {
  constructor(
    private readonly control: ControlPlaneService,
    private readonly scheduler: FeedScheduler,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
  ) {}

  async register(body: unknown, request: AuthenticatedRequest): Promise<FeedDto> {
    const principal = principalOf(request);
    const feedId = randomUUID();
    await this.control.executeRequest('RegisterFeed', commandMeta(request), () => {
      const parsed = parseRegisterFeed(body);
      // A file on this host is the operator's to name, not a tenant's.
      if ((parsed.path !== undefined || parsed.categoriesPath !== undefined) && intelActorOf(principal).tenantId !== undefined) {
        throw new ControlCommandError(
          'path_feed_requires_admin',
          403,
          'Only an admin key acting globally may register a feed read from a local path; use a url',
          {
            field: 'path',
          },
        );
      }
      const tenantId = targetTenantOf(principal, parsed.tenantId);
      if (tenantId !== undefined && !this.config.feedAllowPrivateAddresses) {
        for (const [field, url] of [
          ['url', parsed.url],
          ['categories_url', parsed.categoriesUrl],
        ] as const) {
          const problem = url === undefined ? null : privateHostProblem(url);
          if (problem) throw new ControlCommandError('validation_failed', 422, `${field} ${problem}`, { errors: [{ field, message: problem }] });
        }
      }
      const { tenantId: _requested, ...rest } = parsed;
      return { type: 'RegisterFeed', feedId, ...rest, ...(tenantId !== undefined ? { tenantId } : {}) };
    });
    // Its first fetch starts now, in the background (GET it, or POST …/refresh to wait for one).
    this.scheduler.refresh(feedId).catch(() => undefined);
    return this.view(this.get(feedId, principal));
  }

  async remove(feedId: string, request: AuthenticatedRequest): Promise<FeedDeletedDto> {
    const principal = principalOf(request);
    const held = this.get(feedId, principal);
    const indicators = this.control.state.feedEntries(held.feedId).size;
    const as = intelActorOf(principal);
    await this.control.executeRequest('DeleteFeed', commandMeta(request), () => ({ type: 'DeleteFeed', feedId, as }), feedId);
    return { status: 'deleted', id: feedId, indicators_removed: indicators };
  }

  async refresh(feedId: string, principal: Principal): Promise<FeedDto> {
    const checked = visibleFeed(this.control.state, feedId, intelActorOf(principal));
    if ('error' in checked) throw checked.error;
    const after = await this.scheduler.refresh(feedId);
    if (!after) throw new ControlCommandError('feed_not_found', 404, `No feed "${feedId}"`, { id: feedId });
    return this.view(after);
  }

  get(feedId: string, principal: Principal): Feed {
    const feed = this.control.state.feed(feedId);
    if (!feed || !visibleTo(intelActorOf(principal), feed)) throw new ControlCommandError('feed_not_found', 404, `No feed "${feedId}"`, { id: feedId });
    return feed;
  }

  list(principal: Principal): FeedListDto {
    const actor = intelActorOf(principal);
    const feeds = [...this.control.state.feeds()]
      .filter((feed) => visibleTo(actor, feed))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.feedId.localeCompare(b.feedId))
      .map((feed) => this.view(feed));
    return { feeds, total: feeds.length };
  }

  view(feed: Feed): FeedDto {
    return feedView(feed, this.control.state.feedEntries(feed.feedId).size, Math.max(feedDueAt(feed), Date.parse(feed.createdAt)));
  }
}

/** Threat-intel feeds: fetched on their schedule, applied as diffs, a failed fetch keeping the last good set. */
@ApiTags('threat intel: feeds')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: AdminErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the manage_indicators scope', type: AdminErrorDto })
@RequireScope('manage_indicators')
@Controller('v1/indicators/feeds')
export class FeedsHttpController {
  constructor(private readonly feeds: FeedsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register a feed',
    description:
      'Fetched at once and then every `refresh`, with If-None-Match / If-Modified-Since; each fetch is applied as a diff (its indicators’ source is `feed:<name>`). Formats: csv, plain, firehol, spamhaus-drop, spamhaus-drop-json, feodo-csv, zeek-intel, suricata-iprep (with categories_url or categories_path), misp-csv, stix2.',
  })
  @ApiBody({ type: RegisterFeedDto })
  @ApiCreatedResponse({ type: FeedDto })
  @ApiConflictResponse({ description: '`feed_exists`', type: AdminErrorDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed` with `errors: [{field, message}]`', type: AdminErrorDto })
  register(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<FeedDto> {
    return this.feeds.register(body, request);
  }

  @Get()
  @ApiOperation({ summary: 'List feeds', description: 'Global ones and the caller’s tenant’s, with their last fetch and error.' })
  @ApiOkResponse({ type: FeedListDto })
  list(@Req() request: AuthenticatedRequest): FeedListDto {
    return this.feeds.list(principalOf(request));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One feed' })
  @ApiOkResponse({ type: FeedDto })
  @ApiNotFoundResponse({ description: '`feed_not_found`', type: AdminErrorDto })
  get(@Param('id') id: string, @Req() request: AuthenticatedRequest): FeedDto {
    return this.feeds.view(this.feeds.get(id, principalOf(request)));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a feed and every indicator it brought' })
  @ApiOkResponse({ type: FeedDeletedDto })
  @ApiNotFoundResponse({ description: '`feed_not_found`', type: AdminErrorDto })
  remove(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<FeedDeletedDto> {
    return this.feeds.remove(id, request);
  }

  @Post(':id/refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Fetch a feed now', description: 'Waits for the fetch and answers the feed with its `last_sync` or `last_error`.' })
  @ApiOkResponse({ type: FeedDto })
  @ApiNotFoundResponse({ description: '`feed_not_found`', type: AdminErrorDto })
  refresh(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<FeedDto> {
    return this.feeds.refresh(id, principalOf(request));
  }
}
