import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';

/** The body of an authenticator API call, or 400 saying what it must be. */
export function parseBody<Output>(schema: z.ZodType<Output>, body: unknown, expected: string): Output {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new BadRequestException(`The body must be ${expected}.`);
  return parsed.data;
}
