import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object, as the chart's tests read it. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };

/** Helm from deploy/helm/helm.sh (fetched once into .cache/helm), offline. */
export async function helm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('bash', ['deploy/helm/helm.sh', ...args], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The objects of `helm template` output. */
export function manifestsOf(rendered: string): Manifest[] {
  return parseAllDocuments(rendered)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}
