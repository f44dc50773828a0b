import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS } from './paths.js';

/** The fixture autoencoder's manifest with `fill` for its input, written into `dir`; returns its path. */
export function writeAutoencoderManifestWithFill(dir: string, fill: number): string {
  const manifest = JSON.parse(readFileSync(join(MODELS, 'autoencoder.manifest.json'), 'utf8')) as { models: { path: string; inputs: { fill?: number }[] }[] };
  manifest.models[0]!.path = join(MODELS, 'autoencoder.onnx');
  manifest.models[0]!.inputs[0]!.fill = fill;
  const file = join(dir, 'm.json');
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}
