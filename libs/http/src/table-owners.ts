import type { DynamicModule, Type } from '@nestjs/common';
import type { Migration, RetentionRule } from '@backchannel/event-store';

type ModuleReference = Type | DynamicModule | Promise<DynamicModule> | { forwardRef: () => Type };

/**
 * A Nest module that owns tables declares the migrations that create them in a static
 * `migrations`, and when their rows may be pruned in a static `retention`.
 */
interface TableOwner {
  migrations?: readonly Migration[];
  retention?: readonly RetentionRule[];
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
  return declaredBy(modules, 'migrations');
}

/** The retention rules of the tables of every module a service is made of (see migrationsOf). */
export function retentionRulesOf(modules: readonly ModuleReference[]): RetentionRule[] {
  return declaredBy(modules, 'retention');
}

function declaredBy<Member extends keyof TableOwner>(
  modules: readonly ModuleReference[],
  member: Member,
): NonNullable<TableOwner[Member]>[number][] {
  const found = new Set<NonNullable<TableOwner[Member]>[number]>();
  const visited = new Set<unknown>();
  const visit = (reference: ModuleReference): void => {
    if (reference instanceof Promise || 'forwardRef' in reference || visited.has(reference)) return;
    visited.add(reference);
    const moduleClass = isDynamicModule(reference) ? reference.module : reference;
    for (const declared of (moduleClass as TableOwner)[member] ?? []) found.add(declared);
    const declared = (Reflect.getMetadata('imports', moduleClass) as ModuleReference[] | undefined) ?? [];
    const dynamic = isDynamicModule(reference) ? ((reference.imports ?? []) as ModuleReference[]) : [];
    [...declared, ...dynamic].forEach(visit);
  };
  modules.forEach(visit);
  return [...found];
}
