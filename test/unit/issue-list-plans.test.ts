// The issue list's queries walk an index in the list's order (no sort of the whole
// project), and a rare tag value starts from the tag index: checked with EXPLAIN
// QUERY PLAN on a migrated DB, so a schema or query change that loses the plan fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUE_SORTS, ISSUE_TABS, issueListQuery } from '../../src/issues/issue-list.js';
import { parseIssueSearch } from '../../src/issues/search-query.js';
import { digestDb, type DigestDb } from '../helpers/digest.js';

let d: DigestDb;
beforeAll(async () => {
  d = await digestDb();
  d.digest([{ tags: { browser: 'Firefox' }, exception: { values: [{ type: 'E', value: 'x' }] } }]);
});
afterAll(() => d?.close());

function plan(tab: (typeof ISSUE_TABS)[number], sort: (typeof ISSUE_SORTS)[number], query = ''): string {
  const c = issueListQuery(d.main, { projectIds: [d.projectId], tab, sort, search: parseIssueSearch(query), limit: 50 }).compile();
  return (d.main.sqlite.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...(c.parameters as unknown[])) as Array<{ detail: string }>)
    .map((r) => r.detail)
    .join(' / ');
}

describe('issue list plans', () => {
  for (const tab of ['open', 'muted', 'resolved', 'all'] as const) {
    for (const sort of ISSUE_SORTS) {
      it(`${tab} by ${sort} walks an index, no sort`, () => {
        const p = plan(tab, sort);
        expect(p).toMatch(/USING (COVERING )?INDEX issues_project_/);
        expect(p).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
      });
    }
  }

  it('a rare tag value starts from the tag index', () => {
    const p = plan('all', 'last_seen', 'browser:Firefox');
    expect(p).toMatch(/issue_tags_key_value/);
    expect(p).toMatch(/INTEGER PRIMARY KEY/);
  });
});
