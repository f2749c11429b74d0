import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultKnobs } from '../../twin/index.ts';

// The repository is its own reference: no comment or document sends the reader to a file, issue
// or review that is not in it, every relative link of the documentation resolves, and every
// section a comment points at ("docs/DEPLOY.md, "Security model"") exists.

const ROOT = resolve(import.meta.dirname, '..', '..');
const SELF = relative(ROOT, import.meta.filename)
  .split(sep)
  .join('/');

/** Folders that hold no source or documentation of the project. */
const SKIPPED_DIRS = new Set([
  'node_modules',
  '.git',
  '.serverless',
  '.esbuild',
  '.cognito-import',
  'coverage',
  'out',
  'fixtures',
]);
const TEXT_FILE = /\.(ts|md|ya?ml|json)$/;

function projectFiles(dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...projectFiles(path));
    } else if (TEXT_FILE.test(entry.name) && entry.name !== 'package-lock.json') out.push(path);
  }
  return out;
}

/**
 * What a citation of something outside the repository looks like: the founding design, the
 * sourced specification and its sections, the shared folder beside the repository, an issue
 * (`issue 3`, `owner/repo#12`), a review or one of its finding ids.
 */
const OUTSIDE_CITATIONS: [string, RegExp][] = [
  ['the founding design', /DESIGN\.md/],
  ['a section of the specification', /\bspec\s+§|§\s?\d/],
  ['the specification', /cognito-import-spec|\breference\/[\w-]+\.md/],
  ['the shared folder', /\.\.\/shared\b|\bshared\/(reference|reviews)\b/],
  ['an issue', /\b[Ii]ssues?\s+#?\d+\b|[\w.-]+\/[\w.-]+#\d+\b/],
  ['a review', /\breview's\b|\b(?:F-\d+|D\d{1,2})\b/],
];

/** Markdown text outside fenced code blocks, line by line with their numbers. */
function proseLines(text: string): [number, string][] {
  const lines: [number, string][] = [];
  let fenced = false;
  text.split('\n').forEach((line, index) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push([index + 1, line]);
  });
  return lines;
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function headingsOf(file: string): { titles: Set<string>; anchors: Set<string> } {
  const titles = new Set<string>();
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, line] of proseLines(readFileSync(join(ROOT, file), 'utf8'))) {
    const match = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const title = match[1] as string;
    titles.add(title);
    const base = slug(title);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return { titles, anchors };
}

const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  'twin/README.md',
  'src/csv/README.md',
  'bench/README.md',
];

/** Every relative link of a Markdown file: `[text](target)`, outside code. */
function relativeLinks(file: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  for (const [line, text] of proseLines(readFileSync(join(ROOT, file), 'utf8')))
    for (const match of text.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] as string;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ line, target });
    }
  return links;
}

/** What is wrong with a link of `file`: its file or its heading does not exist. */
function brokenLink(file: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#');
  const resolved = path === '' ? file : relative(ROOT, resolve(ROOT, dirname(file), path));
  const where = resolved.split(sep).join('/');
  if (!existsSync(join(ROOT, where))) return `${where} does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(join(ROOT, where)).isDirectory() || !where.endsWith('.md'))
    return `${where} has no headings to link to`;
  return headingsOf(where).anchors.has(anchor) ? undefined : `${where} has no heading #${anchor}`;
}

/**
 * A pointer to a section, as comments and documents write them: a repository path of a Markdown
 * file, then the section's title in double quotes (`docs/DEPLOY.md, "Security model"`,
 * `docs/DEPLOY.md ("The size of the report")`).
 */
const SECTION_POINTER =
  /\b((?:docs\/[\w-]+|twin\/README|src\/csv\/README|bench\/README|README)\.md)(?:,\s*|\s+\()"([^"\n]+)"/g;

describe('the repository is self-contained', () => {
  const files = projectFiles().filter((file) => file !== SELF);

  it('reads the files it checks', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/ARCHITECTURE.md',
        'src/workflow/sweep.ts',
        'serverless.yml',
        'statemachine/import-users.asl.json',
      ]),
    );
  });

  it.each(OUTSIDE_CITATIONS)('cites no source outside it: %s', (_, pattern) => {
    const found = files.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          pattern.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(found, 'say it in the repository (docs/) instead').toEqual([]);
  });

  it('finds a citation where there is one', () => {
    const cited = [
      'see DESIGN.md, "Contracts"',
      'the spec §1.7 says',
      'as ../shared/reference/cognito-import-spec.md has it',
      'Issue 3 asked for it',
      'aws-amplify/aws-sdk-ios#2298',
      'finding D12 of the review',
    ];
    for (const line of cited)
      expect(
        OUTSIDE_CITATIONS.some(([, pattern]) => pattern.test(line)),
        line,
      ).toBe(true);
    for (const line of ['issue.line is the physical line', 'a reviewed exception', 'DynamoDB'])
      expect(
        OUTSIDE_CITATIONS.some(([, pattern]) => pattern.test(line)),
        line,
      ).toBe(false);
  });
});

describe('the documentation', () => {
  it('is read from every document the repository has', () => {
    expect(DOCUMENTS).toEqual(
      expect.arrayContaining([
        'docs/ARCHITECTURE.md',
        'docs/cognito-behaviour.md',
        'docs/DEPLOY.md',
        'docs/RELIABILITY.md',
      ]),
    );
    expect(relativeLinks('docs/ARCHITECTURE.md').length).toBeGreaterThan(5);
  });

  it.each(DOCUMENTS)('links only to files and headings that exist: %s', (file) => {
    const broken = relativeLinks(file).flatMap(({ line, target }) => {
      const problem = brokenLink(file, target);
      return problem ? [`${file}:${line}: (${target}) ${problem}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it('points at sections that exist, from comments and documents alike', () => {
    const pointers = projectFiles().flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(SECTION_POINTER)].map((match) => ({
        file,
        document: match[1] as string,
        section: match[2] as string,
      })),
    );
    expect(pointers.length).toBeGreaterThan(20);
    const missing = pointers.flatMap(({ file, document, section }) => {
      const titles = existsSync(join(ROOT, document)) ? headingsOf(document).titles : new Set();
      return titles.has(section) ? [] : [`${file}: ${document}, "${section}"`];
    });
    expect(missing).toEqual([]);
  });

  it('makes GitHub-style anchors of headings', () => {
    expect(slug("Password policy and imported users' status")).toBe(
      'password-policy-and-imported-users-status',
    );
    expect(slug('CSV validation (`bench/csv.ts`)')).toBe('csv-validation-benchcsvts');
    expect(slug('Migrating from Auth0 / Keycloak / Supabase / Django / Firebase')).toBe(
      'migrating-from-auth0--keycloak--supabase--django--firebase',
    );
    expect(brokenLink('README.md', 'docs/DEPLOY.md#no-such-heading')).toContain('no heading');
    expect(brokenLink('README.md', 'docs/NOWHERE.md')).toContain('does not exist');
  });
});

describe("the twin's knobs", () => {
  it("are each listed in docs/cognito-behaviour.md's table, with the behaviour they stand for", () => {
    const text = readFileSync(join(ROOT, 'docs/cognito-behaviour.md'), 'utf8');
    const table = text.slice(text.indexOf("## Unconfirmed behaviour and the twin's knobs"));
    const rows = table.split('\n').filter((line) => line.startsWith('| '));
    const unlisted = Object.keys(defaultKnobs).filter(
      (knob) => !rows.some((row) => row.split('|')[2]?.includes(`\`${knob}\``)),
    );
    expect(rows.length).toBeGreaterThan(30);
    expect(unlisted).toEqual([]);
  });
});
