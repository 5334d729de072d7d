/**
 * The model registry: architectures by name. Each architecture declares its entry beside its
 * model; the default registry holds kdrec's own, and {@link withArchitecture} makes one with
 * another (an experiment's spec then accepts it by name).
 * @module
 */
import { multiTaskArchitecture } from "@kdrec/heads";
import type { Architecture } from "@kdrec/model-kit";
import { alsArchitecture, featureMfArchitecture, mfArchitecture, towerArchitecture } from "@kdrec/students";
import { bert4recArchitecture, neumfArchitecture, sasrecArchitecture } from "@kdrec/teachers";

/**
 * Architectures by name, in registration order.
 * @category Registry
 */
export type ArchitectureRegistry = ReadonlyMap<string, Architecture>;

/**
 * kdrec's architectures: `mf` (the default), `als`, `mf-features`, `tower`, `neumf`, `sasrec`,
 * `bert4rec`, `multi-task`.
 * @category Registry
 */
export const defaultRegistry: ArchitectureRegistry = new Map(
  [
    mfArchitecture,
    alsArchitecture,
    featureMfArchitecture,
    neumfArchitecture,
    sasrecArchitecture,
    bert4recArchitecture,
    towerArchitecture,
    multiTaskArchitecture,
  ].map((entry): [string, Architecture] => [entry.name, entry as unknown as Architecture]),
);

/**
 * A registry with `entry` added (or replacing the entry of its name).
 * @example
 * ```ts
 * const registry = withArchitecture(defaultRegistry, mfArchitecture);
 * ```
 * @category Registry
 */
export const withArchitecture = <S extends { readonly name: string; readonly architecture: string }>(
  registry: ArchitectureRegistry,
  entry: Architecture<S>,
): ArchitectureRegistry => new Map([...registry, [entry.name, entry as unknown as Architecture]]);
