import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Param, Redirect, Res, UseInterceptors } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { type WebFile, WebAppHeaders, webFile } from '@backchannel/http';

/** The web app's files, next to this module: in the sources, and in dist/ where the build copies them. */
const WEB_FOLDER = fileURLToPath(new URL('./web/', import.meta.url));

/** @simplewebauthn/browser's UMD bundle (the global SimpleWebAuthnBrowser), from the installed package. */
const WEBAUTHN_BROWSER_BUNDLE = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')),
  '../dist/bundle/index.umd.min.js',
);

const JAVASCRIPT = 'text/javascript; charset=utf-8';

/** Every file the web app has, by its path under /authenticator/; nothing else is ever read. */
const WEB_FILES: Readonly<Record<string, WebFile>> = {
  '': { file: path.join(WEB_FOLDER, 'index.html'), type: 'text/html; charset=utf-8' },
  'app.js': { file: path.join(WEB_FOLDER, 'app.js'), type: JAVASCRIPT },
  'app.css': { file: path.join(WEB_FOLDER, 'app.css'), type: 'text/css; charset=utf-8' },
  'sw.js': { file: path.join(WEB_FOLDER, 'sw.js'), type: JAVASCRIPT },
  'manifest.webmanifest': { file: path.join(WEB_FOLDER, 'manifest.webmanifest'), type: 'application/manifest+json' },
  'icon.svg': { file: path.join(WEB_FOLDER, 'icon.svg'), type: 'image/svg+xml' },
  'vendor/simplewebauthn-browser.js': { file: WEBAUTHN_BROWSER_BUNDLE, type: JAVASCRIPT },
};

/** The built-in authenticator's installable web app (plain files, no build step), under /authenticator/. */
@Controller('authenticator')
@UseInterceptors(WebAppHeaders)
export class AuthenticatorWebController {
  /** The app's files are addressed relative to /authenticator/, which is also its service worker's scope. */
  @Get()
  @Redirect('/authenticator/', 302)
  home(): void {}

  @Get('*')
  file(@Param('*') name: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    return webFile(WEB_FILES, name, reply);
  }
}
