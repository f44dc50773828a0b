import type { ScoringPlan } from '../../src/model/scoring-plan.js';

/** A plan over a small CSV: `id` passes through, the named columns feed one float32 input. */
export function csvPlan(header: string[], features: string[], options: Partial<ScoringPlan> = {}, fill?: number): ScoringPlan {
  const index = (name: string): number => header.indexOf(name);
  const passthrough = header.filter((name) => !features.includes(name)).map((name) => ({ name, fieldIndex: index(name) }));
  return {
    inputFormat: 'csv',
    outputFormat: 'csv',
    parser: 'fast',
    batchRows: 1024,
    fieldCount: header.length,
    passthrough,
    models: [
      {
        name: 'm',
        path: '/m.onnx',
        inputs: [{ name: 'x', type: 'float32', columns: features, fieldIndexes: features.map(index), fill }],
        outputs: [{ name: 'y', columns: ['y'] }],
        thresholds: [],
        batchSize: undefined,
        keepsNonFinite: false,
      },
    ],
    outputColumns: [...passthrough.map((p) => p.name), 'y'],
    ...options,
  };
}
