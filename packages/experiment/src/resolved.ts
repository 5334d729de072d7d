/**
 * An experiment with every default written out: the protocol, the seeds, each model's
 * architecture defaults and each student's strategy (its loss's options included). This is what
 * `kdrec run` saves as `config.resolved.json`, so that a result can be traced to every setting
 * that produced it — including those the config left to kdrec.
 * @module
 */
import { resolveStrategy } from "@kdrec/strategies";
import type { ArchitectureRegistry } from "./registry.js";
import { type ExperimentSpec, isExternal, type ModelSpec, type StudentSpec } from "./spec.js";

/**
 * `spec` with every default filled in (`seeds`, when given, replaces the spec's).
 * @example
 * ```ts
 * resolveExperiment(DEFAULT_EXPERIMENT, defaultRegistry).students[1]!.strategy;
 * // { kind: "one-way", alpha: 0.8, rounds: 2, epochsPerRound: 15, finetune: { epochs: 5 }, loss: { … } }
 * ```
 * @category Experiment
 */
export const resolveExperiment = (
  spec: ExperimentSpec,
  registry: ArchitectureRegistry,
  seeds?: ReadonlyArray<number>,
): ExperimentSpec => {
  const model = <M extends ModelSpec>(m: M): M => resolveModelSpec(m, registry);
  return {
    ...spec,
    protocol: spec.protocol ?? { name: "leave-last-out" },
    seeds: seeds ?? spec.seeds ?? [1],
    teacher: isExternal(spec.teacher) ? spec.teacher : model(spec.teacher),
    students: spec.students.map(
      (student): StudentSpec => ({
        ...model(student),
        strategy: resolveStrategy(student.strategy ?? { kind: "none" }),
      }),
    ),
  };
};

/**
 * A model spec with its architecture's defaults filled in (the spec's own settings first): what
 * `config.resolved.json` and a model bundle's `spec` show.
 * @category Experiment
 */
export const resolveModelSpec = <M extends ModelSpec>(spec: M, registry: ArchitectureRegistry): M => ({
  ...spec,
  ...Object.fromEntries(
    Object.entries(registry.get(spec.architecture)?.defaults ?? {}).filter(([k]) => spec[k] === undefined),
  ),
});
