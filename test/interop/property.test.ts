/**
 * Property-based interop tests between keyward and the real sops: hundreds of
 * random documents per format (YAML, JSON, dotenv, INI, binary), each encrypted
 * by both tools with a random selection rule and `mac_only_encrypted`, then
 * decrypted by both. For every document: sops decrypts keyward's file and keyward
 * decrypts sops's file to byte-identical output and to the generated data; both
 * encrypted files have the same layout once ciphertexts are masked; and for a
 * sample, `keyward set` changes only the value's line plus lastmodified and mac.
 *
 * Node.js start-up makes a spawned keyward cost ~0.3 s of CPU, so most keyward
 * runs go through two long-lived worker processes that call the built CLI's own
 * `run(argv)` (dist/cli/program.js) with stdout and stderr captured; every
 * CLI_EVERY-th document uses the spawned CLI instead, so both paths stay covered.
 *
 * Knobs: KEYWARD_PROP_SEED (default random; printed on failure), KEYWARD_PROP_DOCS
 * (documents per format, default 500), KEYWARD_PROP_FORMATS (comma list).
 *
 * This file runs the formats and reports; generate.ts and gen/ make the
 * documents, runner.ts runs sops and keyward (workers), checks.ts checks one
 * document and compare.ts holds the diffs, layout masking and canonical data.
 */

import { cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/proc.js';
import { CATEGORIES, type Category, checkCase, type Failure, type FormatRun } from './checks.js';
import { type FormatName, RULE_NAMES, selectionFlags } from './gen/rules.js';
import { FORMAT_LIST, generateCase } from './generate.js';
import { kwInProcess, kwSpawned, limiter, startWorkers, stopWorkers } from './runner.js';

const SEED = Number(process.env.KEYWARD_PROP_SEED ?? Math.floor(Math.random() * 2 ** 31));
const DOCS = Number(process.env.KEYWARD_PROP_DOCS ?? 500);
const ONLY = (process.env.KEYWARD_PROP_FORMATS ?? '').split(',').filter((f) => f !== '');
const CLI_EVERY = 250;
const WORKERS = 2;
const TIMEOUT = 600_000;

const dir = tempDir('keyward-prop-');

const results = new Map<FormatName, FormatRun>();

// ---------------------------------------------------------------------------
// Runner and report

async function runFormat(format: FormatName): Promise<FormatRun> {
  const started = Date.now();
  const work = join(dir, format);
  mkdirSync(work, { recursive: true });
  const out: FormatRun = {
    docs: 0,
    cliDocs: 0,
    setTests: 0,
    oracleChecks: 0,
    failures: [],
    coverage: new Map(),
    seconds: 0,
  };
  const docSlot = limiter(8);
  await Promise.all(
    Array.from({ length: DOCS }, (_, index) =>
      docSlot(async () => {
        const c = generateCase(format, SEED, index);
        for (const f of c.features) out.coverage.set(f, (out.coverage.get(f) ?? 0) + 1);
        const viaCli = index % CLI_EVERY === 0;
        if (viaCli) out.cliDocs++;
        out.docs++;
        try {
          out.failures.push(...(await checkCase(c, work, viaCli ? kwSpawned : kwInProcess, out)));
        } catch (err) {
          out.failures.push({
            c,
            category: 'oracle',
            detail: `test harness error: ${(err as Error).stack}`,
            files: [],
          });
        }
      }),
    ),
  );
  out.seconds = (Date.now() - started) / 1000;
  return out;
}

/** Copies the files of failing cases somewhere that survives the temp folder. */
function keep(failures: readonly Failure[]): string | undefined {
  if (failures.length === 0) return undefined;
  const target = join(tmpdir(), `keyward-property-failures-${SEED}`);
  for (const f of failures.slice(0, 40)) {
    for (const file of f.files) {
      const dest = join(target, f.c.format, file.slice(file.lastIndexOf('/') + 1));
      mkdirSync(join(target, f.c.format), { recursive: true });
      try {
        cpSync(file, dest);
      } catch {
        // the file may not have been written
      }
    }
  }
  return target;
}

function report(format: FormatName, category: Category, r: FormatRun): string {
  const list = r.failures.filter((f) => f.category === category);
  const kept = keep(list);
  const lines = [
    `${list.length} of ${r.docs} ${format} documents failed "${category}" (seed ${SEED}; rerun with KEYWARD_PROP_SEED=${SEED} KEYWARD_PROP_FORMATS=${format})`,
    kept ? `files of the failing cases: ${kept}/${format}` : '',
  ];
  for (const f of list.slice(0, 6)) {
    const plain = f.c.format === 'binary' ? `${f.c.plain.length} bytes` : JSON.stringify(f.c.plain.toString('utf8'));
    lines.push(
      `- doc #${f.c.index} (doc seed ${f.c.seed}, flags ${JSON.stringify(selectionFlags(f.c.selection))}): ${f.detail}`,
      `  plaintext: ${plain.length > 1500 ? `${plain.slice(0, 1500)}…` : plain}`,
    );
  }
  return lines.filter((l) => l !== '').join('\n');
}

const FORMATS = FORMAT_LIST.filter((f) => ONLY.length === 0 || ONLY.includes(f));

beforeAll(async () => {
  await startWorkers(join(dir, 'keyward-worker.mjs'), WORKERS);
}, TIMEOUT);

afterAll(() => {
  stopWorkers();
  const summary = [...results].map(
    ([format, r]) =>
      `${format}: ${r.docs} docs × 2 directions (${r.cliDocs} through the spawned CLI), ${r.setTests} set checks, ${r.oracleChecks} oracle checks, ${r.failures.length} failures, ${r.seconds.toFixed(0)} s; ` +
      [...r.coverage].map(([k, v]) => `${k}=${v}`).join(' '),
  );
  console.log(`keyward property interop, seed ${SEED}\n${summary.join('\n')}`);
});

for (const format of FORMATS) {
  describe(`property interop: ${format}`, () => {
    beforeAll(async () => {
      results.set(format, await runFormat(format));
    }, TIMEOUT);

    const get = (): FormatRun => {
      const r = results.get(format);
      if (!r) throw new Error(`no results for ${format}`);
      return r;
    };

    it(
      `exercises ≥ ${DOCS} random ${format} documents in both directions`,
      () => {
        const r = get();
        expect(r.docs).toBe(DOCS);
        if (format !== 'binary' && DOCS >= 200) {
          for (const rule of RULE_NAMES) expect(r.coverage.get(`rule:${rule}`) ?? 0, rule).toBeGreaterThan(0);
          expect(r.coverage.get('mac_only_encrypted') ?? 0).toBeGreaterThan(0);
        }
      },
      TIMEOUT,
    );

    for (const category of CATEGORIES) {
      const title: Record<Category, string> = {
        'keyward→sops': 'sops decrypts what keyward encrypted, to the same bytes and data',
        'sops→keyward': 'keyward decrypts what sops encrypted, to the same bytes and data',
        layout: 'keyward and sops encrypt to the same layout (ciphertexts masked)',
        set: 'keyward set changes only the value, lastmodified and mac, and sops decrypts the result',
        'set-layout': 'keyward set gives the same layout as sops set (ciphertexts masked)',
        oracle: 'the generator agrees with sops (test self-check)',
      };
      it(
        title[category],
        () => {
          const r = get();
          const count = r.failures.filter((f) => f.category === category).length;
          if (count > 0) expect.fail(report(format, category, r));
        },
        TIMEOUT,
      );
    }
  });
}
