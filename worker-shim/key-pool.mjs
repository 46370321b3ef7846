// key-pool.mjs — the KeyPool Durable Object: the one source of truth for keys, their state
// and usage. It is off the hot path (isolates pull their slice's changes every few seconds
// and report batched key events; the admin API reads and writes here), and one class made of
// its jobs: the store (pool-store.mjs), the isolates' slices (pool-slices.mjs), what the admin
// UI reads (pool-stats.mjs), key checks (pool-checks.mjs); and here the admin sessions, the
// stored Responses API answers (response-store.mjs) and the alarm that serves both last jobs.
import { PoolStore } from './pool-store.mjs';
import { withSlices } from './pool-slices.mjs';
import { withStats } from './pool-stats.mjs';
import { withChecks } from './pool-checks.mjs';
import { ResponseStore } from './response-store.mjs';

export class KeyPool extends withChecks(withStats(withSlices(PoolStore))) {
  constructor(ctx, env) {
    super(ctx, env);
    this.responses = new ResponseStore(this.sql, this.storage, this.policy);
  }

  // ---- admin sessions (session.h: the core checks the cookie, the pool whether it lives) ---

  createSession(id, expiresMs) {
    this.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM sessions WHERE expires_ms <= ?', Date.now());
      this.sql.exec('INSERT OR REPLACE INTO sessions (id, expires_ms) VALUES (?, ?)', id, expiresMs);
      const q = 'DELETE FROM sessions WHERE id IN (SELECT id FROM sessions ORDER BY expires_ms DESC LIMIT -1 OFFSET ?)';
      this.sql.exec(q, this.policy.SESSIONS_MAX);
    });
  }

  sessionLive(id) {
    return this.sql.exec('SELECT 1 FROM sessions WHERE id = ? AND expires_ms > ?', id, Date.now()).toArray().length > 0;
  }

  endSession(id) {
    this.sql.exec('DELETE FROM sessions WHERE id = ?', id);
  }

  // ---- stored Responses API answers; `owner` is the client token's digest the core made ---

  async responsePut(owner, write) {
    const now = Date.now();
    const result = this.responses.put(owner, write, now);
    const next = this.responses.nextAlarm(now);
    const current = await this.storage.getAlarm();
    if (next !== null && (current === null || current > next)) await this.storage.setAlarm(next);
    return result;
  }

  responseLoad(owner, ids) {
    return this.responses.load(owner, ids, Date.now());
  }

  responseGet(owner, id) {
    return this.responses.get(owner, id, Date.now());
  }

  responseDelete(owner, id) {
    return this.responses.remove(owner, id);
  }

  responseStats() {
    return this.responses.stats();
  }

  // `now` is when to judge expiry.
  responseClean(now = Date.now()) {
    return this.responses.clean(now);
  }

  async alarm() {
    const started = Date.now();
    let status = this.checkStatus();
    // One batch per alarm invocation keeps each within the platform's subrequest limit.
    if (status.running) status = await this.checkStep();
    this.responseClean();
    const next = status.running ? Math.max(Date.now(), started + this.policy.CHECK_STEP_MS) : this.responses.nextAlarm(Date.now());
    if (next !== null) await this.storage.setAlarm(next);
  }
}
