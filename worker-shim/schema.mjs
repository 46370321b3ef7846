// schema.mjs — the KeyPool Durable Object's SQLite schema, as an ordered list of
// migrations. Each is applied once, in order, and never edited after it has shipped:
// a change is a new entry at the end.
export const MIGRATIONS = [
  // 1: keys, per-model cooldowns, snapshot version
  `CREATE TABLE keys (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     key TEXT NOT NULL UNIQUE,
     masked TEXT NOT NULL,
     added_ms INTEGER NOT NULL,
     disabled_reason TEXT,
     disabled_ms INTEGER,
     requests INTEGER NOT NULL DEFAULT 0,
     successes INTEGER NOT NULL DEFAULT 0,
     failures INTEGER NOT NULL DEFAULT 0,
     prompt_tokens INTEGER NOT NULL DEFAULT 0,
     completion_tokens INTEGER NOT NULL DEFAULT 0,
     last_used_ms INTEGER,
     last_error TEXT,
     last_error_ms INTEGER
   );
   CREATE TABLE cooldowns (
     key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
     model TEXT NOT NULL,
     until_ms INTEGER NOT NULL,
     reason TEXT NOT NULL,
     PRIMARY KEY (key_id, model)
   );
   CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
   INSERT INTO meta (name, value) VALUES ('version', 1);`,
  // 2: usage per key and hour (kept 7 days), failures per outcome class, processed batches
  `CREATE TABLE usage_hourly (
     key_id INTEGER NOT NULL,
     hour_ms INTEGER NOT NULL,
     requests INTEGER NOT NULL DEFAULT 0,
     successes INTEGER NOT NULL DEFAULT 0,
     failures INTEGER NOT NULL DEFAULT 0,
     prompt_tokens INTEGER NOT NULL DEFAULT 0,
     completion_tokens INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (key_id, hour_ms)
   );
   CREATE INDEX usage_hourly_hour ON usage_hourly (hour_ms);
   CREATE TABLE failures_by_class (
     key_id INTEGER NOT NULL,
     outcome TEXT NOT NULL,
     count INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (key_id, outcome)
   );
   CREATE TABLE reported_batches (batch_id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);`,
  // 3: key check jobs, run in batches from requests and from the alarm
  `CREATE TABLE check_jobs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     started_ms INTEGER NOT NULL,
     finished_ms INTEGER,
     total INTEGER NOT NULL
   );
   CREATE TABLE check_items (
     job_id INTEGER NOT NULL,
     key_id INTEGER NOT NULL,
     state INTEGER NOT NULL DEFAULT 0,
     claimed_ms INTEGER,
     outcome TEXT,
     PRIMARY KEY (job_id, key_id)
   );
   CREATE INDEX check_items_state ON check_items (job_id, state);`,
  // 4: which key created which file or cached content (only that key's project can use it)
  `CREATE TABLE affinity (
     resource TEXT PRIMARY KEY,
     key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
     created_ms INTEGER NOT NULL
   );
   CREATE INDEX affinity_key ON affinity (key_id);`,
  // 5: stored Responses API answers (response-store.mjs), per owner (a client token's digest)
  `CREATE TABLE responses (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     previous_id TEXT,
     created_ms INTEGER NOT NULL,
     expires_ms INTEGER NOT NULL,
     size INTEGER NOT NULL
   );
   CREATE INDEX responses_owner ON responses (owner, created_ms);
   CREATE INDEX responses_expires ON responses (expires_ms);
   CREATE INDEX responses_created ON responses (created_ms);
   CREATE TABLE response_chunks (
     id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     data BLOB NOT NULL,
     PRIMARY KEY (id, seq)
   );`,
  // 6: the affinity table is bounded by age: the oldest rows go first
  `CREATE INDEX affinity_age ON affinity (created_ms);`,
  // 7: the admin UI's live sessions (session.h): logging out deletes the row
  `CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     expires_ms INTEGER NOT NULL
   );
   CREATE INDEX sessions_expiry ON sessions (expires_ms);`,
  // 8: the group the core puts a check's outcome in; traffic per API family and hour; indexes
  // so that pruning costs what it removes, not the size of the tables
  `ALTER TABLE check_items ADD COLUMN outcome_group TEXT;
   CREATE TABLE usage_family (
     family TEXT NOT NULL,
     hour_ms INTEGER NOT NULL,
     requests INTEGER NOT NULL DEFAULT 0,
     successes INTEGER NOT NULL DEFAULT 0,
     failures INTEGER NOT NULL DEFAULT 0,
     prompt_tokens INTEGER NOT NULL DEFAULT 0,
     completion_tokens INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (family, hour_ms)
   );
   CREATE INDEX cooldowns_until ON cooldowns (until_ms);
   CREATE INDEX reported_batches_at ON reported_batches (at_ms);`,
];

// Applies the migrations not yet applied. SQL calls are synchronous, so this runs whole
// before the object handles anything.
export function migrate(sql, storage) {
  sql.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)');
  const applied = sql.exec('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').one().v;
  for (let v = applied + 1; v <= MIGRATIONS.length; v++) {
    storage.transactionSync(() => {
      sql.exec(MIGRATIONS[v - 1]);
      sql.exec('INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)', v, Date.now());
    });
  }
  return MIGRATIONS.length;
}
