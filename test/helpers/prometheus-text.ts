import { createRequire } from 'node:module';

/** One metric family as parse-prometheus-text-format reads it (a maintained parser, independent of prom-client). */
export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}

export const parsePrometheusText = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

/** The value of `name` with exactly these labels, as a number; undefined when it is not there. */
export function sampleValue(families: readonly MetricFamily[], name: string, labels: Record<string, string>): number | undefined {
  const family = families.find((f) => f.name === name);
  const metric = family?.metrics.find((m) => JSON.stringify(Object.entries(m.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()));
  return metric === undefined ? undefined : Number(metric.value);
}
