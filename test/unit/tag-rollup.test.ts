// The tag rollup (src/digest/tag-rollup.ts) through the real Digester: sums held across
// batches land in issue_tags exactly once — when due, when the queue runs empty, or after a
// crash by counting the stored events again — and issues deleted meanwhile are skipped.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { MainDb } from '../../src/db/open.js';
import { Digester } from '../../src/digest/digest-batch.js';
import { prepareEvent } from '../../src/digest/prepare-event.js';
import { storedEventTags } from '../../src/digest/tag-rollup.js';
import { createProject } from '../../src/projects/projects.js';
import type { QueueRow } from '../../src/queue/take-batch.js';
import { freshMainDb } from '../helpers/digest.js';
import { newEventId } from '../helpers/envelopes.js';
import { CORPUS } from '../helpers/processes.js';

const log = pino({ level: 'silent' });
const HOLD = { tagFlush: { maxRows: 1_000_000, maxAgeMs: 3_600_000 } };
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function freshDb(): Promise<{ main: MainDb; projectId: number }> {
  const { main, remove } = await freshMainDb('rollup');
  cleanups.push(remove);
  return { main, projectId: createProject(main, 'Tags').project.id };
}

let queueId = 1;
function rows(projectId: number, n: number, seed: number): QueueRow[] {
  return Array.from({ length: n }, (_, i) => {
    const k = seed * 1000 + i;
    const event = {
      event_id: newEventId(),
      release: `app@1.${k % 3}.0`,
      environment: k % 2 ? 'production' : 'staging',
      tags: { shard: `s${k % 4}`, request: `r${k}` },
      user: { id: String(k % 5) },
      exception: { values: [{ type: `E${k % 7}`, value: 'boom' }] },
    };
    return { id: queueId++, project_id: projectId, event_id: event.event_id, received_at: Date.now(), source: 'envelope', headers: '{}', payload: Buffer.from(JSON.stringify(event)) };
  });
}

const tagTable = (main: MainDb) =>
  main.sqlite.prepare('SELECT i.type, t.key, t.value, t.count, t.first_seen, t.last_seen FROM issue_tags t JOIN issues i ON i.id = t.issue_id ORDER BY 1, 2, 3').all();
const mark = (main: MainDb) => (main.sqlite.prepare('SELECT tags_through_event FROM digest_state').get() as { tags_through_event: number }).tags_through_event;

describe('tag rollup', () => {
  it('holds sums across batches and writes them once, as a batch-by-batch digest would', async () => {
    const batches = [1, 2, 3].map((s) => rows(0, 40, s));
    const ref = await freshDb();
    const held = await freshDb();
    const eager = new Digester(ref.main, log);
    const lazy = new Digester(held.main, log, HOLD);
    for (const b of batches) {
      eager.digest(b.map((r) => ({ ...r, project_id: ref.projectId })));
      lazy.write(b.map((r) => ({ ...r, project_id: held.projectId })), b.map((r) => prepareEvent(r)), false);
    }
    expect(tagTable(held.main)).toEqual([]);
    expect(lazy.unwrittenTags).toBeGreaterThan(0);
    lazy.flushTags();
    expect(lazy.unwrittenTags).toBe(0);
    expect(tagTable(held.main)).toEqual(tagTable(ref.main));
    expect(tagTable(ref.main).length).toBeGreaterThan(50);
    expect(mark(held.main)).toBe(120);
  });

  it('writes the sums with the batch that empties the queue', async () => {
    const db = await freshDb();
    const d = new Digester(db.main, log, HOLD);
    const [a, b] = [rows(db.projectId, 10, 4), rows(db.projectId, 10, 5)];
    d.write(a, a.map((r) => prepareEvent(r)), false);
    expect(tagTable(db.main)).toEqual([]);
    d.write(b, b.map((r) => prepareEvent(r)), true);
    expect(d.unwrittenTags).toBe(0);
    const count = db.main.sqlite.prepare("SELECT sum(count) AS n FROM issue_tags WHERE key = 'shard'").get() as { n: number };
    expect(count.n).toBe(20);
  });

  it('after a crash, counts again exactly the events stored after the last flush', async () => {
    const ref = await freshDb();
    const eager = new Digester(ref.main, log);
    const crashed = await freshDb();
    const before = new Digester(crashed.main, log, HOLD);
    const [a, b, c] = [rows(0, 30, 6), rows(0, 30, 7), rows(0, 30, 8)];
    const own = (rs: QueueRow[], pid: number) => rs.map((r) => ({ ...r, project_id: pid }));
    before.write(own(a, crashed.projectId), a.map((r) => prepareEvent(r)), true); // flushed
    before.write(own(b, crashed.projectId), b.map((r) => prepareEvent(r)), false); // held, then lost
    expect(mark(crashed.main)).toBe(30);
    // The process dies here: a new Digester on the same file, as after a restart.
    const after = new Digester(crashed.main, log, HOLD);
    after.write(own(c, crashed.projectId), c.map((r) => prepareEvent(r)), true);
    for (const rs of [a, b, c]) eager.digest(own(rs, ref.projectId));
    expect(tagTable(crashed.main)).toEqual(tagTable(ref.main));
    expect(mark(crashed.main)).toBe(90);
  });

  it('after a crash, a stored event that cannot be read back loses its own tags only', async () => {
    const ref = await freshDb();
    const eager = new Digester(ref.main, log);
    const crashed = await freshDb();
    const before = new Digester(crashed.main, log, HOLD);
    const own = (rs: QueueRow[], pid: number) => rs.map((r) => ({ ...r, project_id: pid }));
    const [a, b] = [rows(0, 30, 12), rows(0, 10, 13)];
    before.write(own(a, crashed.projectId), a.map((r) => prepareEvent(r)), false); // held, then lost
    // Event 5 of the lost sums no longer parses; in the reference it was never digested.
    crashed.main.sqlite.prepare("UPDATE events SET data = '{' WHERE id = 5").run();
    const after = new Digester(crashed.main, log, HOLD);
    after.write(own(b, crashed.projectId), b.map((r) => prepareEvent(r)), true);
    eager.digest(own([...a.slice(0, 4), ...a.slice(5), ...b], ref.projectId));
    expect(tagTable(crashed.main)).toEqual(tagTable(ref.main));
    expect(mark(crashed.main)).toBe(40);
  });

  it('a batch that rolls back leaves no counts behind; its good events are counted once', async () => {
    const db = await freshDb();
    const d = new Digester(db.main, log, HOLD);
    const held = rows(db.projectId, 10, 10);
    d.write(held, held.map((r) => prepareEvent(r)), false);
    const batch = rows(db.projectId, 10, 11);
    const bad = batch[4]!.event_id;
    // The store itself fails for one event: the batch rolls back and is written event by event.
    db.main.sqlite.exec(`CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.event_id = '${bad}' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    const out = d.write(batch, batch.map((r) => prepareEvent(r)), true);
    expect(out.dead.map((x) => x.row.event_id)).toEqual([bad]);
    expect(out.stored).toBe(9);
    const count = db.main.sqlite.prepare("SELECT sum(count) AS n FROM issue_tags WHERE key = 'shard'").get() as { n: number };
    expect(count.n).toBe(19);
    const perIssue = db.main.sqlite.prepare("SELECT count(*) AS n FROM issues i WHERE event_count != (SELECT sum(count) FROM issue_tags t WHERE t.issue_id = i.id AND t.key = 'shard')").get();
    expect(perIssue).toEqual({ n: 0 });
  });

  it('skips the sums of an issue deleted before they were written', async () => {
    const db = await freshDb();
    const d = new Digester(db.main, log, HOLD);
    const a = rows(db.projectId, 14, 9);
    d.write(a, a.map((r) => prepareEvent(r)), false);
    const victim = db.main.sqlite.prepare("SELECT id FROM issues WHERE type = 'E0'").get() as { id: number };
    db.main.sqlite.prepare('DELETE FROM issues WHERE id = ?').run(victim.id);
    d.flushTags();
    expect(db.main.sqlite.prepare('SELECT count(*) AS n FROM issue_tags WHERE issue_id = ?').get(victim.id)).toEqual({ n: 0 });
    expect((db.main.sqlite.prepare('SELECT count(DISTINCT issue_id) AS n FROM issue_tags').get() as { n: number }).n).toBe(6);
  });

  it('counts a stored corpus event with the very tags it was digested with', () => {
    const dir = path.join(CORPUS, 'events');
    const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) {
      const payload = fs.readFileSync(path.join(dir, f));
      const p = prepareEvent({ event_id: newEventId(), received_at: 1_700_000_000_000, payload });
      expect(storedEventTags({ data: p.json, received_at: 1_700_000_000_000 }), f).toEqual(p.tags);
    }
  });
});
