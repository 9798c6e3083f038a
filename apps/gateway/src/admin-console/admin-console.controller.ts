import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Redirect,
  Res,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AdminTokenGuard, type WebFile, WebAppHeaders, webFile } from '@backchannel/http';
import { AdminConsoleQueries } from './admin-console.queries.js';

/** The console's files, next to this module: in the sources, and in dist/ where the build copies them. */
const WEB_FOLDER = fileURLToPath(new URL('./web/', import.meta.url));

const WEB_FILES: Readonly<Record<string, WebFile>> = {
  '': { file: path.join(WEB_FOLDER, 'index.html'), type: 'text/html; charset=utf-8' },
  'console.js': { file: path.join(WEB_FOLDER, 'console.js'), type: 'text/javascript; charset=utf-8' },
  'console.css': { file: path.join(WEB_FOLDER, 'console.css'), type: 'text/css; charset=utf-8' },
};

const STREAM_ID = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * The admin console (plain files, strict CSP like the authenticator), under /admin/console/. The
 * page holds nothing: every figure comes from the JSON API below, which takes the admin token
 * the operator signs in with.
 */
@Controller('admin/console')
@UseInterceptors(WebAppHeaders)
export class AdminConsoleWebController {
  @Get()
  @Redirect('/admin/console/', 302)
  home(): void {}

  @Get('*')
  file(@Param('*') name: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    return webFile(WEB_FILES, name, reply);
  }
}

/** What the console shows: recent requests, a request's timeline, verification, dead letters, readers' lag. */
@Controller('admin/v1/console')
@UseGuards(AdminTokenGuard)
@UseInterceptors(WebAppHeaders)
export class AdminConsoleApiController {
  constructor(private readonly queries: AdminConsoleQueries) {}

  @Get('requests')
  async requests(@Query('limit') limit?: string) {
    const count = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > 500) {
      throw new BadRequestException('limit is a whole number from 1 to 500.');
    }
    return { requests: await this.queries.recentRequests(count, new Date()) };
  }

  @Get('requests/:streamId/timeline')
  async timeline(@Param('streamId') streamId: string) {
    if (!STREAM_ID.test(streamId)) throw new BadRequestException('Not a stream id.');
    return { streamId, events: await this.queries.timeline(streamId) };
  }

  /** Re-computes every chain and checks the signed checkpoints (as `ops verify --all`): on demand, it reads the whole log. */
  @Post('verification')
  @HttpCode(200)
  async verification() {
    const verified = await this.queries.verify();
    return {
      events: verified.events,
      streams: verified.streams,
      breaks: verified.breaks.slice(0, 50),
      checkpoints: { ...verified.checkpoints, breaks: verified.checkpoints.breaks.slice(0, 50) },
      verifiedAt: new Date().toISOString(),
    };
  }

  @Get('dead-letters')
  async deadLetters() {
    const letters = await this.queries.deadLetterList();
    // the message itself may hold an event's data: never shown, the event is in the log
    return {
      deadLetters: letters.map(({ value: _value, ...letter }) => letter),
    };
  }

  @Get('consumers')
  async consumers() {
    return { readers: await this.queries.readerLags() };
  }
}
