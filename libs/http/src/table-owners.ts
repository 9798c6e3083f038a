import type { DynamicModule, Type } from '@nestjs/common';
import type { Migration } from '@backchannel/event-store';

type ModuleReference = Type | DynamicModule | Promise<DynamicModule> | { forwardRef: () => Type };

/** A Nest module that owns tables declares the migrations that create them in a static `migrations`. */
interface TableOwner {
  migrations?: readonly Migration[];
}

function isDynamicModule(reference: ModuleReference): reference is DynamicModule {
  return typeof reference === 'object' && 'module' in reference;
}

/**
 * The migrations of every module a service is made of, found by walking the modules' imports: a
 * service creates the tables it uses, and only those (the tables of its libs included). Modules
 * imported through a promise or a forward reference are not followed; none of ours are.
 */
export function migrationsOf(modules: readonly ModuleReference[]): Migration[] {
  const found = new Set<Migration>();
  const visited = new Set<unknown>();
  const visit = (reference: ModuleReference): void => {
    if (reference instanceof Promise || 'forwardRef' in reference || visited.has(reference)) return;
    visited.add(reference);
    const moduleClass = isDynamicModule(reference) ? reference.module : reference;
    for (const migration of (moduleClass as TableOwner).migrations ?? []) found.add(migration);
    const declared = (Reflect.getMetadata('imports', moduleClass) as ModuleReference[] | undefined) ?? [];
    const dynamic = isDynamicModule(reference) ? ((reference.imports ?? []) as ModuleReference[]) : [];
    [...declared, ...dynamic].forEach(visit);
  };
  modules.forEach(visit);
  return [...found];
}
