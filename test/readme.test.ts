import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The TypeScript snippets of the README and of docs/*.md type-check against the current API, so
 * that the first code a user copies compiles (a fresh-clone walkthrough found three that did not).
 * Each ```ts block becomes a module of its own under .cache/readme-snippets, named by file and line; the names a snippet uses without
 * defining (the user's app, db, schemas…) are declared by a prelude, and the eventwire functions it
 * uses without importing are imported for it. Then `tsc` checks them with the repository's
 * strict settings.
 */

const root = new URL('..', import.meta.url).pathname;
const out = join(root, '.cache', 'readme-snippets');

/** eventwire names a snippet may use without importing them, by module. */
const library: Record<string, readonly string[]> = {
  eventwire: ['configureMessaging', 'createConsumer', 'getProducer', 'publishEvent', 'messageHandler', 'withSchema', 'runConsumers', 'getMessaging'],
  'eventwire/express': ['eventMiddleware'],
};

/** The user's own things the snippets refer to. */
const prelude = `
import type { Express, RequestHandler } from 'express';
import type Router from '@koa/router';
import { z } from 'zod';
declare const app: Express;
declare const router: Router;
declare const handler: RequestHandler;
declare const register: RequestHandler;
declare function createUser(body: unknown): Promise<{ id: number; email: string }>;
declare function createWelcomeOrder(userId: number): Promise<void>;
declare const db: { createWelcomeOrder(userId: number): Promise<void>; markPaid(orderId: number): Promise<void> };
declare const mailer: { send(to: string): Promise<void> };
declare const assert: typeof import('node:assert').strict;
declare function request(app: Express): import('supertest').Agent;
const PaymentCompleted = z.object({ order_id: z.number() });
const OrderCreated = z.object({ order_id: z.number(), user_email: z.string() });
`;

function snippets(readme: string): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  const pattern = /^```ts\n([\s\S]*?)^```/gm;
  for (let match = pattern.exec(readme); match !== null; match = pattern.exec(readme)) {
    found.push({ line: readme.slice(0, match.index).split('\n').length, code: match[1] ?? '' });
  }
  return found;
}

function moduleFor(code: string): string {
  const imported = new Set([...code.matchAll(/import\s*{([^}]*)}/g)].flatMap((m) => (m[1] ?? '').split(',').map((name) => name.replace(/\btype\b/, '').trim())));
  const imports = Object.entries(library).map(([from, names]) => {
    const missing = names.filter((name) => !imported.has(name) && new RegExp(`\\b${name}\\b`).test(code));
    return missing.length === 0 ? '' : `import { ${missing.join(', ')} } from '${from}';\n`;
  });
  // Import declarations may follow statements in a module, so the snippet's own stay as written.
  return `${imports.join('')}${prelude}\n${code}\nexport {};\n`;
}

/** README.md and every Markdown file in docs/, as paths relative to the repository. */
async function documents(): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).sort();
  return ['README.md', ...docs.map((name) => `docs/${name}`)];
}

describe('README and docs', () => {
  it('have TypeScript snippets that type-check against the current API', async function () {
    this.timeout(120_000);
    await rm(out, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    for (const path of await documents()) {
      const blocks = snippets(await readFile(join(root, path), 'utf8'));
      if (path === 'README.md') assert.ok(blocks.length >= 5, `expected the README's snippets, found ${blocks.length}`);
      const name = path.replace(/\.md$/, '').replace(/[^a-zA-Z0-9]+/g, '-').toLowerCase();
      for (const { line, code } of blocks) await writeFile(join(out, `${name}-line-${line}.ts`), moduleFor(code));
    }
    await writeFile(
      join(out, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true, noUnusedLocals: false }, include: ['./*.ts'] }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', join(out, 'tsconfig.json')], { cwd: root }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    assert.equal(result, '', `snippets do not type-check (files in .cache/readme-snippets, named by document and line):\n${result}`);
  });
});
