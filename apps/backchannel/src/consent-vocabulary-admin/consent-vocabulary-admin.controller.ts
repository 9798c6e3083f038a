import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Put,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ConsentVocabulary,
  type VocabularyKind,
  type VocabularyTerm,
  VocabularyTermInUseError,
  VocabularyValidationError,
} from '@backchannel/consent-vocabulary';
import { AdminTokenGuard, adminActionContext } from '@backchannel/http';

type TermResponse = { name: string; description: string; created_at: string; updated_at: string };

/**
 * The admin API of one kind of the consent vocabulary: `PUT {name}` with `{ description }` gives
 * the term its words (201 when new, 200 when it had some), `GET` lists or shows, `DELETE` removes.
 */
abstract class ConsentVocabularyAdminController {
  constructor(
    private readonly vocabulary: ConsentVocabulary,
    private readonly kind: VocabularyKind,
  ) {}

  @Get()
  async list(): Promise<TermResponse[]> {
    return (await this.vocabulary.list(this.kind)).map(termResponse);
  }

  @Get(':name')
  async find(@Param('name') name: string): Promise<TermResponse> {
    const term = await this.vocabulary.find(this.kind, name);
    if (term === null) throw new NotFoundException(`No ${this.label} has this name.`);
    return termResponse(term);
  }

  @Put(':name')
  async define(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TermResponse> {
    try {
      const outcome = await this.vocabulary.define(this.kind, name, body, adminActionContext(request));
      reply.status(outcome === 'created' ? 201 : 200);
    } catch (error) {
      if (error instanceof VocabularyValidationError) throw new BadRequestException(`${error.message}.`);
      throw error;
    }
    return this.find(name);
  }

  /** Refused (409) while a registered client lists the term: its requests would lose their words. */
  @Delete(':name')
  @HttpCode(204)
  async remove(@Param('name') name: string, @Req() request: FastifyRequest): Promise<void> {
    let removed: boolean;
    try {
      removed = await this.vocabulary.remove(this.kind, name, adminActionContext(request));
    } catch (error) {
      if (error instanceof VocabularyTermInUseError) {
        throw new ConflictException(`The ${this.label} is in use: ${error.message}.`);
      }
      throw error;
    }
    if (!removed) throw new NotFoundException(`No ${this.label} has this name.`);
  }

  private get label(): string {
    return this.kind === 'scope' ? 'API scope' : 'authorization detail type';
  }
}

function termResponse(term: VocabularyTerm): TermResponse {
  return { name: term.name, description: term.description, created_at: term.createdAt, updated_at: term.updatedAt };
}

/** The words of API scopes (the standard scopes are the server's to word). */
@Controller('admin/v1/scopes')
@UseGuards(AdminTokenGuard)
export class ApiScopeAdminController extends ConsentVocabularyAdminController {
  constructor(vocabulary: ConsentVocabulary) {
    super(vocabulary, 'scope');
  }
}

/** The words of RFC 9396 authorization detail types. */
@Controller('admin/v1/authorization-detail-types')
@UseGuards(AdminTokenGuard)
export class AuthorizationDetailTypeAdminController extends ConsentVocabularyAdminController {
  constructor(vocabulary: ConsentVocabulary) {
    super(vocabulary, 'authorization_detail_type');
  }
}
