// pool-stats.mjs — what the admin UI reads from the KeyPool object: the key list (paged,
// filtered, sorted), counts by state, and usage over time. The query's values (page size,
// filter, sort, period) are the core's (router_admin.cpp, request/admin.cpp): it always sends
// them all, so no default lives here.
import { COUNTS, HOUR_MS, chunks, placeholders } from './pool-store.mjs';

const SORT_COLUMNS = {
  id: 'id',
  requests: 'requests',
  last_used: 'COALESCE(last_used_ms, 0)',
  failures: 'failures',
  status: 'status_rank',
};

export const withStats = (Base) =>
  class extends Base {
    counts(now) {
      const r = this.sql
        .exec(
          `SELECT COUNT(*) AS total,
                  SUM(CASE WHEN disabled_reason IS NOT NULL THEN 1 ELSE 0 END) AS disabled,
                  SUM(CASE WHEN disabled_reason IS NULL AND EXISTS
                        (SELECT 1 FROM cooldowns c WHERE c.key_id = keys.id AND c.until_ms > ?) THEN 1 ELSE 0 END) AS cooling
           FROM keys`,
          now,
        )
        .one();
      const disabled = r.disabled ?? 0;
      const cooling = r.cooling ?? 0;
      return { total: r.total, disabled, cooling, active: r.total - disabled - cooling };
    }

    listKeys({ offset, limit, status, q, sort, order }) {
      const column = SORT_COLUMNS[sort];
      if (!column) throw new Error(`listKeys: unknown sort ${sort}`);
      const now = Date.now();
      const where = [];
      const args = [now];
      if (status === 'disabled') where.push('disabled_reason IS NOT NULL');
      if (status === 'active') where.push('disabled_reason IS NULL AND cooling = 0');
      if (status === 'cooling') where.push('disabled_reason IS NULL AND cooling = 1');
      if (q) {
        // Search the masked form only: a suffix search on the full key would reveal it. A plain
        // substring test: LIKE patterns have a length limit (past it SQLite fails) and wildcards.
        where.push('instr(lower(masked), lower(?)) > 0');
        args.push(q);
      }
      const base = `SELECT *, CASE WHEN disabled_reason IS NOT NULL THEN 2 WHEN cooling = 1 THEN 1 ELSE 0 END AS status_rank
                    FROM (SELECT id, masked, added_ms, disabled_reason, disabled_ms, requests, successes, failures,
                                 prompt_tokens, completion_tokens, last_used_ms, last_error, last_error_ms,
                                 EXISTS (SELECT 1 FROM cooldowns c WHERE c.key_id = keys.id AND c.until_ms > ?) AS cooling
                          FROM keys)
                    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
      const total = this.sql.exec(`SELECT COUNT(*) AS n FROM (${base})`, ...args).one().n;
      const dir = order === 'desc' ? 'DESC' : 'ASC';
      const rows = this.sql.exec(`${base} ORDER BY ${column} ${dir}, id ASC LIMIT ? OFFSET ?`, ...args, limit, offset).toArray();
      const cooldowns = this.cooldownsFor(
        rows.map((r) => r.id),
        now,
      );
      const keys = rows.map(({ cooling, status_rank: _, ...r }) => ({
        ...r,
        status: r.disabled_reason ? 'disabled' : cooling ? 'cooling' : 'active',
        cooldowns: cooldowns.get(r.id) ?? [],
      }));
      return { keys, total, counts: this.counts(now) };
    }

    cooldownsFor(ids, now) {
      const out = new Map();
      for (const part of chunks(ids)) {
        const rows = this.sql.exec(
          `SELECT key_id, model, until_ms, reason FROM cooldowns
           WHERE until_ms > ? AND key_id IN (${placeholders(part.length)}) ORDER BY until_ms`,
          now,
          ...part,
        );
        for (const r of rows) {
          if (!out.has(r.key_id)) out.set(r.key_id, []);
          out.get(r.key_id).push({ model: r.model, until_ms: r.until_ms, reason: r.reason });
        }
      }
      return out;
    }

    stats({ hours, keyId, dayStartMs }) {
      const now = Date.now();
      const from = Math.floor(now / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
      const keyFilter = keyId ? 'AND key_id = ?' : '';
      const keyArgs = keyId ? [keyId] : [];
      const sums = COUNTS.map((c) => `COALESCE(SUM(${c}), 0) AS ${c}`).join(', ');
      const byHour = new Map(
        this.sql
          .exec(`SELECT hour_ms, ${sums} FROM usage_hourly WHERE hour_ms >= ? ${keyFilter} GROUP BY hour_ms`, from, ...keyArgs)
          .toArray()
          .map((r) => [r.hour_ms, r]),
      );
      const none = Object.fromEntries(COUNTS.map((c) => [c, 0]));
      const series = [];
      for (let h = from; h <= now; h += HOUR_MS) series.push({ ...none, ...byHour.get(h), hour_ms: h });
      const totals = this.sql.exec(`SELECT ${sums} FROM keys ${keyId ? 'WHERE id = ?' : ''}`, ...keyArgs).one();
      const today = this.sql
        .exec(
          `SELECT COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(failures), 0) AS failures
           FROM usage_hourly WHERE hour_ms >= ? ${keyFilter}`,
          Math.floor(dayStartMs / HOUR_MS) * HOUR_MS,
          ...keyArgs,
        )
        .one();
      const failureClasses = {};
      for (const r of this.sql.exec(
        `SELECT outcome, SUM(count) AS n FROM failures_by_class ${keyId ? 'WHERE key_id = ?' : ''} GROUP BY outcome`,
        ...keyArgs,
      )) {
        failureClasses[r.outcome] = r.n;
      }
      // Traffic per API family over the period (the core's families rows).
      const families = keyId
        ? []
        : this.sql.exec(`SELECT family, ${sums} FROM usage_family WHERE hour_ms >= ? GROUP BY family ORDER BY family`, from).toArray();
      return {
        totals: { ...totals, requests_today: today.requests, errors_today: today.failures },
        failures_by_class: failureClasses,
        families,
        hours: series,
        counts: this.counts(now),
      };
    }
  };
