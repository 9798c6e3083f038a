import { BadRequestException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who did an admin action, when, in which request: the metadata of the event that records it. */
export interface AdminActionContext {
  actor: string;
  correlationId: string;
  now: Date;
}

/** The context of an action through the admin API (its callers hold the one admin token). */
export function adminActionContext(request: FastifyRequest): AdminActionContext {
  return { actor: 'admin', correlationId: request.id, now: new Date() };
}

/** The optional `reason` of an admin action (disabling a client or a user): null, or 1 to 500 characters. */
export function adminActionReason(body: unknown): string | null {
  const reason = (body as { reason?: unknown } | null)?.reason ?? null;
  if (reason !== null && (typeof reason !== 'string' || reason.length === 0 || reason.length > 500)) {
    throw new BadRequestException('reason must be a string of 1 to 500 characters.');
  }
  return reason;
}
