/**
 * A SQLite connection plus a Kysely query builder bound to it.
 *
 * Queries are written with Kysely (so a Postgres dialect can come later) but run
 * synchronously through better-sqlite3 with a cache of prepared statements.
 * Synchronous on purpose: an async transaction body would let other requests'
 * queries interleave on the same connection inside our BEGIN…COMMIT, and
 * re-preparing each statement costs more than running it.
 */
import { Kysely, SqliteDialect, type Compilable, type CompiledQuery } from 'kysely';
import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from './sqlite.js';

/** Statements differ by shape, not by values, so a few hundred cover every query we have. */
const STATEMENT_CACHE_SIZE = 500;

type Query<R> = Compilable<R> | CompiledQuery<R>;

function compiled<R>(q: Query<R>): CompiledQuery<R> {
  return 'compile' in q ? q.compile() : q;
}

export class Database<Schema> {
  readonly kysely: Kysely<Schema>;
  readonly #statements = new Map<string, Statement>();

  constructor(readonly sqlite: SqliteDb) {
    this.kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  }

  /** A prepared statement for this SQL text, reused across calls. */
  statement(sqlText: string): Statement {
    let stmt = this.#statements.get(sqlText);
    if (stmt) {
      // Map keeps insertion order: re-inserting makes this the most recently used.
      this.#statements.delete(sqlText);
    } else {
      stmt = this.sqlite.prepare(sqlText);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.#statements.keys().next().value as string;
        this.#statements.delete(oldest);
      }
    }
    this.#statements.set(sqlText, stmt);
    return stmt;
  }

  all<R>(q: Query<R>): R[] {
    const c = compiled(q);
    return this.statement(c.sql).all(...(c.parameters as unknown[])) as R[];
  }

  first<R>(q: Query<R>): R | undefined {
    const c = compiled(q);
    return this.statement(c.sql).get(...(c.parameters as unknown[])) as R | undefined;
  }

  /** For INSERT/UPDATE/DELETE without RETURNING. */
  run(q: Query<unknown>): { changes: number; lastInsertRowid: number } {
    const c = compiled(q);
    const r = this.statement(c.sql).run(...(c.parameters as unknown[]));
    return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
  }

  close(): void {
    this.#statements.clear();
    if (this.sqlite.open) this.sqlite.close();
  }
}
