import { readFileSync, readdirSync } from 'node:fs';

/**
 * The libs and apps are listed in three configuration files besides their folders (jest.config.js
 * reads the folders itself): adding a lib or an app means adding it to each, and this says where
 * one is missing.
 */
const root = new URL('../', import.meta.url);

function folders(parent: string): string[] {
  return readdirSync(new URL(parent, root), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function json(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(file, root), 'utf8')) as Record<string, unknown>;
}

const libs = folders('libs/');
const apps = folders('apps/');
const aliases = (paths: Record<string, string[]>) =>
  Object.entries(paths)
    .map(([alias, [target]]) => [alias, target!.replace(/^\.\//, '')])
    .sort(([a], [b]) => a!.localeCompare(b!));
const expectedAliases = libs
  .map((lib) => [`@backchannel/${lib}`, `libs/${lib}/src/index.ts`])
  .sort(([a], [b]) => a!.localeCompare(b!));

describe('workspace layout', () => {
  it('has a tsconfig.json path for every lib, and for nothing else', () => {
    const { compilerOptions } = json('tsconfig.json') as { compilerOptions: { paths: Record<string, string[]> } };
    expect(aliases(compilerOptions.paths)).toEqual(expectedAliases);
  });

  it('has the same paths in .swcrc, which builds dist/', () => {
    const { jsc } = json('.swcrc') as { jsc: { paths: Record<string, string[]> } };
    expect(aliases(jsc.paths)).toEqual(expectedAliases);
  });

  it('has a nest-cli.json project for every lib and app', () => {
    const { projects } = json('nest-cli.json') as {
      projects: Record<string, { type: string; root: string; sourceRoot: string }>;
    };
    const listed = Object.entries(projects)
      .map(([name, project]) => [name, project.type, project.root, project.sourceRoot])
      .sort(([a], [b]) => a!.localeCompare(b!));
    const expected = [
      ...libs.map((lib) => [lib, 'library', `libs/${lib}`, `libs/${lib}/src`]),
      ...apps.map((app) => [app, 'application', `apps/${app}`, `apps/${app}/src`]),
    ].sort(([a], [b]) => a!.localeCompare(b!));
    expect(listed).toEqual(expected);
  });
});
