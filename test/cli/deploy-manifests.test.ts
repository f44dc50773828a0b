import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { validate } from 'dockerfile-utils';
import { parse, parseAllDocuments } from 'yaml';
import { EXIT_STATUSES, ExitCode } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

// The deployment artifacts in deploy/ cannot be applied or built here: these tests parse them and check the fields
// docs/remote.md relies on, against the code they must agree with (serve/app.py, serve-config.yaml, errors.ts, --help).

// Parsed YAML, checked field by field.
type Json = Record<string, any>;

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

function readYaml(path: string): Json {
  const documents = parseAllDocuments(read(path));
  assert.equal(documents.length, 1, `${path}: one document`);
  assert.deepEqual(documents[0]!.errors, [], `${path}: YAML errors`);
  return documents[0]!.toJS() as Json;
}

const APP_PY = read('serve/app.py');
const SERVE_CONFIG = readYaml('serve/serve-config.yaml');
const RAY_PIN = /^ray\[serve\]==(\S+)$/m.exec(read('serve/requirements.txt'))?.[1];

/** Kubernetes quantities of CPU ("500m", "2") and memory ("2Gi", "512Mi") as numbers, to compare requests and limits. */
function quantity(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(m|Mi|Gi)?$/.exec(String(value));
  assert.ok(match, `not a quantity: ${value}`);
  const scale = { m: 1e-3, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] as 'm' | 'Mi' | 'Gi'] ?? 1;
  return Number(match[1]) * scale;
}

function assertResources(container: Json): void {
  const { requests, limits } = container.resources ?? {};
  for (const key of ['cpu', 'memory']) {
    assert.ok(requests?.[key] !== undefined && limits?.[key] !== undefined, `${container.name}: requests and limits of ${key}`);
    assert.ok(quantity(requests[key]) <= quantity(limits[key]), `${container.name}: ${key} request above its limit`);
  }
}

function assertTaggedImage(image: string): void {
  assert.match(image, /^[\w.-]+(\/[\w.-]+)+:[\w.-]+$/, `image ${image} has a registry and a tag`);
  assert.doesNotMatch(image, /:latest$/);
}

describe('deploy/rayservice.yaml (KubeRay RayService of the Serve app)', () => {
  const service = readYaml('deploy/rayservice.yaml');
  const serveConfig = parse(service.spec.serveConfigV2 as string) as Json;
  const app = serveConfig.applications[0] as Json;
  const deployment = app.deployments[0] as Json;
  const cluster = service.spec.rayClusterConfig as Json;
  const containers: Json[] = [cluster.headGroupSpec.template.spec.containers[0], ...cluster.workerGroupSpecs.map((group: Json) => group.template.spec.containers[0])];

  it('is a ray.io/v1 RayService on the pinned Ray version', () => {
    assert.equal(service.apiVersion, 'ray.io/v1');
    assert.equal(service.kind, 'RayService');
    assert.equal(cluster.rayVersion, RAY_PIN);
  });

  it("embeds a Serve config whose import path, deployment name and args are serve/app.py's", () => {
    assert.equal(app.import_path, SERVE_CONFIG.applications[0].import_path);
    const [module, builder] = (app.import_path as string).split(':');
    assert.equal(module, 'serve.app');
    assert.match(APP_PY, new RegExp(`^def ${builder}\\(`, 'm'));
    assert.match(APP_PY, new RegExp(`name="${deployment.name}"`));
    for (const arg of Object.keys(app.args)) assert.match(APP_PY, new RegExp(`args(\\.get\\(|, )"${arg}"`), `build_app reads the arg '${arg}'`);
  });

  it('autoscales with the keys of serve-config.yaml, min 1 <= max, and the cluster autoscaler on', () => {
    const shipped = SERVE_CONFIG.applications[0].deployments[0].autoscaling_config as Json;
    const auto = deployment.autoscaling_config as Json;
    assert.deepEqual(Object.keys(auto).sort(), Object.keys(shipped).sort());
    assert.equal(auto.min_replicas, 1);
    assert.ok(auto.max_replicas >= auto.min_replicas && auto.target_ongoing_requests > 0);
    assert.equal(deployment.num_replicas, undefined, 'num_replicas and autoscaling_config exclude each other');
    assert.equal(cluster.enableInTreeAutoscaling, true);
    for (const group of cluster.workerGroupSpecs as Json[]) assert.ok(group.minReplicas <= group.replicas && group.replicas <= group.maxReplicas, group.groupName);
    // Every replica the app may want fits on the worker pods at their maximum.
    const podCpus = Math.min(...(cluster.workerGroupSpecs as Json[]).map((group) => quantity(group.template.spec.containers[0].resources.limits.cpu)));
    const pods = (cluster.workerGroupSpecs as Json[]).reduce((sum, group) => sum + group.maxReplicas, 0);
    assert.ok(auto.max_replicas * deployment.ray_actor_options.num_cpus <= pods * podCpus);
  });

  it('serves on the port every Ray container exposes, with resources, a tagged image and the token from a Secret', () => {
    const port = serveConfig.http_options.port as number;
    assert.equal(serveConfig.http_options.host, '0.0.0.0');
    const tokenEnv = app.args.token_env as string;
    assert.ok(tokenEnv, 'the app needs a bearer token on a cluster');
    for (const container of containers) {
      assert.ok((container.ports as Json[]).some((p) => p.containerPort === port && p.name === 'serve'), `${container.name} exposes ${port}`);
      assertResources(container);
      assertTaggedImage(container.image);
      const token = (container.env as Json[]).find((e) => e.name === tokenEnv);
      assert.ok(token?.valueFrom?.secretKeyRef?.name, `${container.name}: $${tokenEnv} from a Secret`);
    }
    assert.equal(new Set(containers.map((c) => c.image)).size, 1, 'one image for head and workers');
  });
});

describe('deploy/cronjob.yaml (every-minute batch-infer run)', () => {
  const cron = readYaml('deploy/cronjob.yaml');
  const job = cron.spec.jobTemplate.spec as Json;
  const pod = job.template.spec as Json;
  const container = pod.containers[0] as Json;
  const script = (container.args as string[]).join('\n');
  const rules = job.podFailurePolicy.rules as Json[];

  it('is a batch/v1 CronJob that never overlaps and ends within its minute', () => {
    assert.equal(cron.apiVersion, 'batch/v1');
    assert.equal(cron.kind, 'CronJob');
    assert.equal(cron.spec.schedule, '* * * * *');
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    assert.ok(job.activeDeadlineSeconds > 0 && job.activeDeadlineSeconds < 60);
    const deadline = Number(/--deadline (\d+)s/.exec(script)?.[1]);
    assert.ok(deadline > 0 && deadline < job.activeDeadlineSeconds, '--deadline leaves the pod time to write and exit');
    assert.ok(job.backoffLimit >= 1);
    assert.equal(pod.restartPolicy, 'Never');
  });

  it('retries exactly the transient exit codes of src/errors.ts and fails the Job at once on the others', () => {
    const failJob = rules.find((rule) => rule.action === 'FailJob')!;
    assert.equal(failJob.onExitCodes.containerName, container.name);
    assert.equal(failJob.onExitCodes.operator, 'NotIn');
    assert.deepEqual([...failJob.onExitCodes.values].sort(), [ExitCode.unavailable, ExitCode.ioError, ExitCode.terminated].sort());
    assert.ok(rules.some((rule) => rule.action === 'Ignore' && rule.onPodConditions?.[0]?.type === 'DisruptionTarget'));
    // The wrapper turns "written, with rejects" (1) and "over the deadline" (3) into success.
    assert.match(script, /case \$status in 1\|3\) exit 0 ;; \*\) exit \$status ;; esac/);
    // Every status of the contract is explained in the file's header.
    const header = read('deploy/cronjob.yaml').split('apiVersion:')[0]!;
    for (const { status } of EXIT_STATUSES) if (status !== ExitCode.snapshotsFailed) assert.match(header, new RegExp(`\\b${status}\\b`), `exit ${status} is explained`);
  });

  it("runs batch-infer run with flags that exist, against KubeRay's Serve service, with the token from a Secret", () => {
    assert.match(script, /bin\/batch-infer\.js run /);
    const help = runCli(['run', '--help']).stdout;
    for (const flag of script.match(/--[a-z][a-z-]+/g) ?? []) assert.ok(help.includes(flag), `run --help lists ${flag}`);
    const env = Object.fromEntries((container.env as Json[]).map((e) => [e.name, e]));
    const tokenEnv = /--token-env (\w+)/.exec(script)?.[1] ?? '';
    assert.ok(env[tokenEnv]?.valueFrom?.secretKeyRef, `$${tokenEnv} from a Secret`);
    const service = readYaml('deploy/rayservice.yaml');
    const port = (parse(service.spec.serveConfigV2 as string) as Json).http_options.port;
    assert.equal(env.BATCH_INFER_ENDPOINT.value, `http://${service.metadata.name}-serve-svc:${port}`);
    assertTaggedImage(container.image);
    assertResources(container);
  });
});

describe('deploy/*.Dockerfile', () => {
  const dockerfiles = readdirSync(join(ROOT, 'deploy')).filter((name) => name.endsWith('Dockerfile'));

  it('the linter reports a broken Dockerfile (so that a clean result means something)', () => {
    assert.ok(validate('FROM\nRUNN make\n').length >= 2);
  });

  for (const name of dockerfiles) {
    it(`${name} lints clean and copies only paths that exist`, () => {
      const text = read(join('deploy', name));
      assert.deepEqual(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`), []);
      const lines = text.replace(/\\\n/g, ' ').split('\n');
      for (const line of lines.filter((l) => /^COPY (?!--from)/.test(l))) {
        for (const source of line.split(/\s+/).slice(1, -1)) {
          const path = source.includes('*') ? dirname(source) : source;
          assert.ok(existsSync(join(ROOT, path)), `${name}: COPY ${source} exists`);
        }
      }
      assert.ok(lines.some((l) => /^USER (?!root|0\b)/.test(l)), `${name}: runs as a non-root user`);
    });
  }

  it('the Serve image has the Python of the pins, the pinned requirements, serve/ and the manifest the RayService names', () => {
    const text = read('deploy/serve.Dockerfile');
    assert.match(text, /^FROM python:3\.11-/m);
    assert.match(text, /pip install --no-cache-dir -r serve\/requirements\.txt -c serve\/requirements\.lock/);
    assert.match(text, /^COPY serve\/ serve\/$/m);
    assert.match(text, /^WORKDIR \/app$/m);
    assert.match(text, /^ENV PYTHONPATH=\/app/m);
    const manifest = (parse(readYaml('deploy/rayservice.yaml').spec.serveConfigV2 as string) as Json).applications[0].args.manifest as string;
    assert.equal(manifest, '/app/fixtures/models/manifest.json');
    assert.match(text, /^COPY fixtures\/models\/manifest\.json fixtures\/models\/\*\.onnx fixtures\/models\/$/m);
  });

  it('the CLI image is Node 20 and the CronJob runs its bin', () => {
    const text = read('deploy/cli.Dockerfile');
    assert.match(text, /^FROM node:20-/m);
    assert.match(text, /^ENTRYPOINT \["node", "\/app\/bin\/batch-infer\.js"\]$/m);
    const script = (readYaml('deploy/cronjob.yaml').spec.jobTemplate.spec.template.spec.containers[0].args as string[]).join('\n');
    assert.match(script, /node \/app\/bin\/batch-infer\.js run/);
  });
});
