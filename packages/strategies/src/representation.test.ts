// Representation distillation as a strategy value: it decodes from configs (unknown methods
// refused with the valid ones), is named in reports and descriptions, adds its term to the
// distillation phase only, and refuses, when bound, a student or a teacher without vectors.
import { decodeConfig } from "@kdrec/core";
import type { TrainableModel } from "@kdrec/model-kit";
import { describeEachBackend } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { expect, it } from "vitest";
import { strategyPhases } from "./phases.js";
import {
  checkStrategy,
  describeStrategy,
  lossNames,
  oneWay,
  rankingDistillationLoss,
  Strategy,
  softLabel,
  withRepresentation,
} from "./strategy.js";

describeEachBackend("representation distillation in strategies", () => {
  it("decodes from a config, and refuses an unknown method listing the valid ones", () => {
    const decoded = decodeConfig(Strategy, {
      kind: "one-way",
      loss: { kind: "ranking" },
      representation: { method: "de", experts: 4, temperature: { from: 1, to: 0.05 } },
    });
    expect(E.isRight(decoded)).toBe(true);
    const wrong = decodeConfig(Strategy, {
      kind: "one-way",
      loss: { kind: "ranking" },
      representation: { method: "rd" },
    });
    expect(E.isLeft(wrong) && wrong.left.message).toMatch(/"ftd" \| "htd" \| "de"/);
    const misspelt = decodeConfig(Strategy, {
      kind: "one-way",
      loss: { kind: "ranking" },
      representation: { method: "ftd", wieght: 2 },
    });
    expect(E.isLeft(misspelt) && `${misspelt.left.location}: ${misspelt.left.message}`).toMatch(
      /did you mean "weight"/,
    );
  });

  it("names its term, describes itself, and checks a per-round temperature against the rounds", () => {
    const strategy = pipe(oneWay(rankingDistillationLoss()), withRepresentation({ method: "de" }));
    expect(lossNames(strategy)).toEqual(["bpr", "ranking-distillation", "distillation-experts"]);
    expect(describeStrategy(strategy)).toContain("de ×0.1 (5 experts, T=1→0.1)");
    expect(lossNames(pipe(oneWay(softLabel()), withRepresentation({ method: "htd" })))).toContain("topology-htd");
    const wrongLength = pipe(oneWay(softLabel()), withRepresentation({ method: "de", temperature: [1, 0.5] }));
    expect(checkStrategy(wrongLength)).toEqual(
      E.left(expect.objectContaining({ location: "representation.temperature", message: "2 value(s) for 5 round(s)" })),
    );
  });

  it("adds its term to the distillation phase, and a student or a teacher without vectors is refused when bound", () => {
    const strategy = pipe(oneWay(softLabel(10)), withRepresentation({ method: "ftd", weight: 3 }));
    const phases = strategyPhases(strategy, { numItems: 50 });
    if (E.isLeft(phases)) throw new Error(phases.left.message);
    const [distill, finetune] = phases.right;
    expect(distill!.plan.terms.map((t) => [t.name, t.weight])).toContainEqual(["topology-ftd", 3]);
    expect(finetune!.plan.terms.map((t) => t.name)).toEqual(["bpr"]);
    const withoutVectors = { trainStep: () => 0 } as unknown as TrainableModel;
    const train = { users: new Int32Array(0), items: new Int32Array(0) } as never;
    const refused = distill!.plan.bind({ model: withoutVectors, train });
    expect(E.isLeft(refused) && refused.left).toMatchObject({
      location: "strategy.representation",
      message: expect.stringContaining("needs a student that exposes"),
    });
    const student = { trainStep: () => 0, trainStepWithRepresentations: () => 0, representationWidth: 4 };
    const teacherWithout = { name: "neumf", scoreLists: () => undefined } as never;
    const noTeacherVectors = distill!.plan.bind({
      model: student as unknown as TrainableModel,
      teacher: teacherWithout,
      train,
    });
    expect(E.isLeft(noTeacherVectors) && noTeacherVectors.left.message).toContain("neumf does not");
  });
});
