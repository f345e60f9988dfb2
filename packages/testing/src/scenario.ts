import fc from "fast-check";

/** One thing that happens in a simulated run; `after` is the simulated time (ms) that passes before it. */
export type SimStep =
  | { readonly kind: "mutate"; readonly after: number; readonly client: number; readonly name: string; readonly args: readonly unknown[] }
  | { readonly kind: "partition"; readonly after: number; readonly client: number; readonly ms: number }
  | { readonly kind: "disconnect"; readonly after: number; readonly client: number; readonly ms: number }
  | { readonly kind: "restartClient"; readonly after: number; readonly client: number; readonly downMs: number }
  | { readonly kind: "restartServer"; readonly after: number; readonly downMs: number };

/** A whole run: the seed of the network's and storage's random decisions, and the steps. */
export interface SimScenario {
  readonly netSeed: number;
  readonly steps: readonly SimStep[];
}

/** How often each kind of fault step comes, relative to one operation (0 turns it off). */
export interface StepWeights {
  partition: number;
  disconnect: number;
  clientRestart: number;
  serverRestart: number;
}

/** The scenario generator (fast-check shrinks scenarios to fewer steps and smaller values). */
export function scenarioArbitrary(
  clients: number,
  operations: Readonly<Record<string, fc.Arbitrary<readonly unknown[]>>>,
  steps: number,
  weights: StepWeights,
): fc.Arbitrary<SimScenario> {
  const client = fc.integer({ min: 0, max: clients - 1 });
  const names = Object.keys(operations);
  const mutate = fc.oneof(
    ...names.map((name) =>
      fc.record({
        kind: fc.constant("mutate" as const),
        after: fc.integer({ min: 0, max: 200 }),
        client,
        name: fc.constant(name),
        args: operations[name] as fc.Arbitrary<readonly unknown[]>,
      }),
    ),
  );
  const scale = 1000;
  const options: fc.WeightedArbitrary<SimStep>[] = [{ weight: scale, arbitrary: mutate }];
  const add = (weight: number, arbitrary: fc.Arbitrary<SimStep>) => {
    const w = Math.round(weight * scale);
    if (w > 0) options.push({ weight: w, arbitrary });
  };
  add(weights.partition, fc.record({ kind: fc.constant("partition" as const), after: fc.integer({ min: 0, max: 500 }), client, ms: fc.integer({ min: 50, max: 5000 }) }));
  add(weights.disconnect, fc.record({ kind: fc.constant("disconnect" as const), after: fc.integer({ min: 0, max: 500 }), client, ms: fc.integer({ min: 50, max: 5000 }) }));
  add(weights.clientRestart, fc.record({ kind: fc.constant("restartClient" as const), after: fc.integer({ min: 0, max: 500 }), client, downMs: fc.integer({ min: 0, max: 3000 }) }));
  add(weights.serverRestart, fc.record({ kind: fc.constant("restartServer" as const), after: fc.integer({ min: 0, max: 500 }), downMs: fc.integer({ min: 0, max: 3000 }) }));
  return fc.record({
    netSeed: fc.integer({ min: 0, max: 0x7fffffff }),
    steps: fc.array(fc.oneof(...options), { minLength: 1, maxLength: steps, size: "max" }),
  });
}

/** One line per step, for failure reports. */
export function formatStep(step: SimStep): string {
  switch (step.kind) {
    case "mutate":
      return `+${step.after}ms client ${step.client}: ${step.name}(${JSON.stringify(step.args).slice(1, -1)})`;
    case "partition":
      return `+${step.after}ms client ${step.client}: partitioned for ${step.ms} ms`;
    case "disconnect":
      return `+${step.after}ms client ${step.client}: disconnect() for ${step.ms} ms`;
    case "restartClient":
      return `+${step.after}ms client ${step.client}: kill -9 (storage crash), restarted after ${step.downMs} ms`;
    case "restartServer":
      return `+${step.after}ms server: kill -9 (storage crash), restarted after ${step.downMs} ms`;
  }
}
