package dev.ticketd.chaos.mail;

import dev.ticketd.db.Database;
import org.jooq.Record;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where PostgreSQL's time goes during one backlog run of the ingest benchmark: pg_stat_statements
 * of the run's database (the server loads it with {@code track=all}, so a trigger's statements are
 * counted on their own as well as inside the statement that fired them; {@code nested} marks them).
 */
final class StatementCosts {

    private StatementCosts() {
    }

    /** Forgets what was counted so far (the migrations, an earlier run). */
    static void reset(Database db) {
        db.dsl().execute("create extension if not exists pg_stat_statements");
        db.dsl().fetch("select pg_stat_statements_reset()");
    }

    /** The {@code limit} statements that took the most execution time since {@link #reset}, per 1,000 mails. */
    static Map<String, Object> top(Database db, int limit, int mails) {
        double per = 1000.0 / mails;
        Map<String, Object> out = new LinkedHashMap<>();
        Record total = db.dsl().fetchOne("""
                select coalesce(sum(calls), 0) as calls, coalesce(sum(total_exec_time), 0) as ms
                from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database()) and toplevel""");
        out.put("topLevelCallsPer1000Mails", DovecotIngestBenchmark.round(((Number) total.get("calls")).doubleValue() * per, 0));
        out.put("topLevelExecMillisPer1000Mails", DovecotIngestBenchmark.round(((Number) total.get("ms")).doubleValue() * per, 1));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Record r : db.dsl().fetch("""
                select calls, total_exec_time as ms, rows, not toplevel as nested, query
                from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
                order by total_exec_time desc limit ?""", limit)) {
            Map<String, Object> row = new LinkedHashMap<>();
            long calls = ((Number) r.get("calls")).longValue();
            double ms = ((Number) r.get("ms")).doubleValue();
            row.put("callsPer1000Mails", DovecotIngestBenchmark.round(calls * per, 0));
            row.put("execMillisPer1000Mails", DovecotIngestBenchmark.round(ms * per, 1));
            row.put("meanMicros", DovecotIngestBenchmark.round(calls == 0 ? 0 : ms * 1000 / calls, 1));
            row.put("rowsPer1000Mails", DovecotIngestBenchmark.round(((Number) r.get("rows")).longValue() * per, 0));
            row.put("nested", r.get("nested"));
            String query = String.valueOf(r.get("query")).replaceAll("\\s+", " ").strip();
            row.put("query", query.length() <= 200 ? query : query.substring(0, 200) + "…");
            rows.add(row);
        }
        out.put("top", rows);
        return out;
    }

    /** The run's statements as a table (the last run of a mix). */
    @SuppressWarnings("unchecked")
    static void append(StringBuilder t, Map<String, Object> run) {
        Map<String, Object> s = (Map<String, Object>) run.get("statements");
        if (s == null) {
            return;
        }
        t.append(String.format(Locale.ROOT, "%nPostgreSQL's statements in run %s, per 1,000 mails: %s top-level calls, %s ms executing%n",
                run.get("run"), s.get("topLevelCallsPer1000Mails"), s.get("topLevelExecMillisPer1000Mails")));
        t.append(String.format(Locale.ROOT, "%9s %9s %9s %9s %6s  %s%n", "ms/1k", "calls/1k", "mean µs", "rows/1k", "nested", "statement"));
        for (Map<String, Object> r : (List<Map<String, Object>>) s.get("top")) {
            String q = String.valueOf(r.get("query"));
            t.append(String.format(Locale.ROOT, "%9s %9s %9s %9s %6s  %s%n", r.get("execMillisPer1000Mails"), r.get("callsPer1000Mails"),
                    r.get("meanMicros"), r.get("rowsPer1000Mails"), Boolean.TRUE.equals(r.get("nested")) ? "yes" : "",
                    q.length() <= 110 ? q : q.substring(0, 110) + "…"));
        }
    }
}
