import { readFile } from 'node:fs/promises';
import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';

/**
 * The web apps we serve (the built-in authenticator, the admin console): scripts, styles, workers
 * and the manifest only from our own origin and files: no inline script or style, no framing, no
 * plug-ins, no form posts elsewhere.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const WEB_APP_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  // API answers carry tokens and requests: never cached; the web app's files override this.
  'cache-control': 'no-store',
};

/** The security headers of every page, file and API answer of a web app. */
@Injectable()
export class WebAppHeaders implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    context.switchToHttp().getResponse<FastifyReply>().headers(WEB_APP_HEADERS);
    return next.handle();
  }
}

/** A file of a web app, and its content type. */
export interface WebFile {
  file: string;
  type: string;
}

/**
 * One of a web app's files, by its name under the app's path: only the files listed are ever
 * read. Revalidated on every load, so a new version of the app is picked up at once.
 */
export async function webFile(
  files: Readonly<Record<string, WebFile>>,
  name: string,
  reply: FastifyReply,
): Promise<Buffer> {
  const listed = Object.hasOwn(files, name) ? files[name] : undefined;
  if (!listed) throw new NotFoundException('No such file.');
  reply.header('content-type', listed.type).header('cache-control', 'no-cache');
  return readFile(listed.file);
}
