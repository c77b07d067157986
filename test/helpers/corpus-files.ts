import fs from 'node:fs';
import path from 'node:path';

/** Every payload file below `dir` of the shared corpus (its READMEs and licences left out), sorted. */
export function corpusFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name !== 'LICENSE' && !d.name.endsWith('.md'))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}
