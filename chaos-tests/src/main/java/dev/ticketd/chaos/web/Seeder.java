package dev.ticketd.chaos.web;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Fills a migrated, empty ticketd database with a help desk's history, in minutes: {@code tickets}
 * tickets with about five messages each (customer mail, staff replies, internal notes; every
 * {@value #LONG_THREAD_EVERY}th ticket a thread of {@value #LONG_THREAD} messages), subjects and
 * bodies in six languages with order numbers, addresses and phone numbers in them, 1,000 requesters,
 * 20 groups, 30 agents, tags, attachments (names only) and the outbox history of every staff reply.
 *
 * <p>Rows go in with {@code COPY} (two streams for the messages, one per core), with the non-unique
 * indexes dropped meanwhile and built again after (exactly as the migrations made them: their
 * definitions are read from the catalogue first) and foreign-key triggers off
 * ({@code session_replication_role = replica}; the rows are made consistent here). The search
 * columns are generated columns: PostgreSQL computes them during the load as it does for every
 * write. Deterministic for a seed. Needs a superuser connection.
 */
final class Seeder {

    static final int GROUPS = 20;
    static final int AGENTS = 30;
    static final int REQUESTERS = 1000;
    static final int LONG_THREAD_EVERY = 20_000;
    static final int LONG_THREAD = 50;
    /** A word no other text holds, planted in {@value #RARE_EVERY}th tickets' first message. */
    static final String RARE_WORD = "zygomorphic";
    static final int RARE_EVERY = 50_000;
    static final String COMMON_WORD = "printer";
    static final String MAILBOX = "support";
    private static final Logger log = LoggerFactory.getLogger(Seeder.class);
    private static final Duration HISTORY = Duration.ofDays(3 * 365);
    private static final String[] TABLES = {"ticket", "ticket_message", "contact", "attachment", "ticket_tag", "outbox"};

    private static final String[][] WORDS = {
            // English
            {"printer", "invoice", "order", "delivery", "account", "password", "login", "refund", "broken", "screen", "error",
                    "please", "help", "urgent", "thanks", "again", "since", "yesterday", "cannot", "update", "payment", "server",
                    "email", "office", "floor", "second", "network", "customer", "contract", "shipping", "package", "missing",
                    "damaged", "replacement", "warranty", "license", "renewal", "subscription", "cancel", "upgrade"},
            // German
            {"Drucker", "Rechnung", "Bestellung", "Lieferung", "Konto", "Passwort", "Rückerstattung", "defekt", "Bildschirm",
                    "Fehler", "bitte", "dringend", "danke", "seit", "gestern", "Zahlung", "Büro", "Straße", "Größe", "Übersee",
                    "Kündigung", "Vertrag", "Verspätung", "Ersatz", "Garantie"},
            // French
            {"imprimante", "facture", "commande", "livraison", "compte", "mot", "remboursement", "cassé", "écran", "erreur",
                    "s'il", "vous", "plaît", "urgent", "merci", "depuis", "hier", "paiement", "réclamation", "crème", "café",
                    "était", "reçu", "problème", "délai"},
            // Spanish
            {"impresora", "factura", "pedido", "entrega", "cuenta", "contraseña", "reembolso", "roto", "pantalla", "error",
                    "por", "favor", "gracias", "desde", "ayer", "pago", "envío", "garantía", "señor", "años"},
            // Polish
            {"drukarka", "faktura", "zamówienie", "dostawa", "konto", "hasło", "zwrot", "uszkodzony", "ekran", "błąd",
                    "proszę", "pilne", "dziękuję", "wczoraj", "płatność", "przesyłka", "gwarancja", "żółty", "źle", "łódź"},
            // Dutch
            {"printer", "factuur", "bestelling", "levering", "rekening", "wachtwoord", "terugbetaling", "kapot", "scherm",
                    "fout", "alstublieft", "dringend", "bedankt", "sinds", "gisteren", "betaling", "verzending", "garantie"}};
    private static final String[] FIRST = {"Anna", "Ben", "Chloé", "Dieter", "Elena", "François", "Grzegorz", "Hanna", "Iñigo",
            "Jan", "Kasia", "Lars", "María", "Noah", "Olga", "Pierre", "Renée", "Søren", "Tomás", "Zoë"};
    private static final String[] LAST = {"Müller", "Dubois", "García", "Kowalski", "de Vries", "Smith", "Nowak", "Lefèvre",
            "Fernández", "Schröder", "Jansen", "Brown", "Wiśniewski", "Martín", "Bakker"};
    private static final String[] DOMAINS = {"acme.example", "globex.example", "initech.example", "umbrella.example",
            "gmail.com", "outlook.com", "stark.example", "wayne.example", "hooli.example", "soylent.example"};
    private static final String[] TAGS = {"vip", "refund", "bug", "outage", "billing", "hardware", "follow-up", "legal"};
    private static final String[] GROUP_NAMES = {"Billing", "Sales", "Hardware", "Software", "Network", "Accounts", "Shipping",
            "Returns", "Partners", "Enterprise", "Education", "Public sector", "Germany", "France", "Spain", "Poland",
            "Netherlands", "Escalations", "Security"};

    private final String url;
    private final String user;
    private final int tickets;
    private final long seed;

    /** What the seeding made and took. */
    record Result(int tickets, long messages, double seconds, long databaseBytes, String databaseSize) {
    }

    Seeder(String superuserUrl, String user, int tickets, long seed) {
        this.url = superuserUrl;
        this.user = user;
        this.tickets = tickets;
        this.seed = seed;
    }

    Result seed() throws SQLException, IOException, InterruptedException {
        Instant start = Instant.now();
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("set session_replication_role = replica");
            List<String> indexes = dropIndexes(st);
            Instant base = Instant.now().minus(HISTORY);
            people(c, st);
            copyTickets(c, base);
            long firstTicket = single(st, "select min(id) from ticket");
            log.info("seed tickets={} took={}", tickets, Duration.between(start, Instant.now()));
            copyMessages(firstTicket, base);
            log.info("seed messages took={}", Duration.between(start, Instant.now()));
            st.execute("insert into attachment (ticket_message_id, filename, content_type, size_bytes, content) "
                    + "select id, 'Invoice_' || id || '.pdf', 'application/pdf', 3, '\\x255044'::bytea from ticket_message where id % 97 = 0");
            st.execute("insert into ticket_tag (ticket_id, tag, ticket_created_at) select id, (array" + sqlArray(TAGS) + ")[1 + id % "
                    + TAGS.length + "], created_at from ticket where id % 10 = 0");
            st.execute("insert into outbox (mailbox_id, ticket_id, ticket_message_id, message_id, to_address, subject, body_text, "
                    + "status, attempts, created_at, sent_at) select '" + MAILBOX + "', m.ticket_id, m.id, '<seed.' || m.id || "
                    + "'@bench.example>', 'customer@bench.example', 'Re: your ticket', left(m.body_text, 200), 'sent', 1, "
                    + "m.created_at, m.created_at from ticket_message m where m.kind = 'outbound'");
            st.execute("select setval('ticket_number_seq', " + (tickets + 1000L) + ")");
            log.info("seed extras took={}; building {} indexes", Duration.between(start, Instant.now()), indexes.size());
            st.execute("set maintenance_work_mem = '1GB'");
            st.execute("set max_parallel_maintenance_workers = 2");
            for (String index : indexes) {
                Instant t0 = Instant.now();
                st.execute(index);
                log.info("index built took={} {}", Duration.between(t0, Instant.now()), index);
            }
            st.execute("set session_replication_role = origin");
            st.execute("vacuum analyze");
            long messages = single(st, "select count(*) from ticket_message");
            long bytes = single(st, "select pg_database_size(current_database())");
            return new Result(tickets, messages, Duration.between(start, Instant.now()).toMillis() / 1000.0, bytes,
                    (bytes >> 20) + " MiB");
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, "");
    }

    /** Drops the non-unique, non-primary indexes of the big tables and returns their definitions, to build them again. */
    private static List<String> dropIndexes(Statement st) throws SQLException {
        List<String> defs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (ResultSet r = st.executeQuery("select i.indexname, i.indexdef from pg_indexes i "
                + "where i.schemaname = current_schema() and i.tablename = any(array" + sqlArray(TABLES) + ") "
                + "and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' "
                + "|| quote_ident(i.indexname))::regclass) order by i.indexname")) {
            while (r.next()) {
                names.add(r.getString(1));
                defs.add(r.getString(2));
            }
        }
        for (String name : names) {
            st.execute("drop index " + name);
        }
        return defs;
    }

    private void people(Connection c, Statement st) throws SQLException, IOException {
        for (String g : GROUP_NAMES) {
            st.execute("insert into staff_group (name) values ('" + g + "') on conflict do nothing");
        }
        st.execute("insert into mailbox (id, address, imap_host, imap_port, imap_user, secret_ref) values ('" + MAILBOX
                + "', 'support@bench.example', '127.0.0.1', 1, 'support@bench.example', 'support') on conflict do nothing");
        st.execute("insert into staff_user (email, display_name, password_hash, role) select 'agent' || n || '@bench.example', "
                + "'Agent ' || n, 'seeded: no login', 'agent' from generate_series(1, " + AGENTS + ") n");
        // each agent in three of the groups
        st.execute("insert into group_member (group_id, user_id, access) select g.id, u.id, 'full' "
                + "from (select id, row_number() over (order by id) - 1 as k from staff_user where email like '%@bench.example') u "
                + "join (select id, row_number() over (order by id) - 1 as k from staff_group) g "
                + "on g.k in (u.k % " + GROUPS + ", (u.k + 7) % " + GROUPS + ", (u.k + 13) % " + GROUPS + ") on conflict do nothing");
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < REQUESTERS; i++) {
            String first = pick(random, FIRST);
            String last = pick(random, LAST);
            String local = (first + "." + last).toLowerCase().replaceAll("[^a-z.]", "") + i;
            row(rows, local + "@" + pick(random, DOMAINS), first + " " + last);
        }
        copy(c, "contact (email, display_name)", rows);
    }

    private void copyTickets(Connection c, Instant base) throws SQLException, IOException {
        long[] groups = ids(c, "select id from staff_group order by id");
        long[] agents = ids(c, "select id from staff_user where email like '%@bench.example' order by id");
        long[] contacts = ids(c, "select id from contact order by id");
        SplittableRandom random = new SplittableRandom(seed + 1);
        CopyIn in = ((PGConnection) c.unwrap(PGConnection.class)).getCopyAPI().copyIn("copy ticket (number, mailbox_id, subject, "
                + "status, priority, requester_id, owner_id, group_id, created_at, updated_at, last_message_at, pending_until, "
                + "pending_kind, resolved_at) from stdin");
        StringBuilder rows = new StringBuilder();
        long step = HISTORY.toMillis() / Math.max(1, tickets);
        Instant now = base.plus(HISTORY);
        for (int i = 1; i <= tickets; i++) {
            Instant created = base.plusMillis(step * i);
            int s = random.nextInt(100);
            // as a desk that has worked for years looks: the last two weeks open, pending and resolved;
            // older tickets closed but for a few left open or waiting (the ticket timers have nothing due)
            boolean recent = created.isAfter(now.minus(Duration.ofDays(14)));
            String status = recent ? (s < 40 ? "open" : s < 60 ? "pending" : "resolved") : (s < 7 ? "open" : s < 10 ? "pending" : "closed");
            int p = random.nextInt(100);
            String priority = p < 10 ? "low" : p < 80 ? "normal" : p < 95 ? "high" : "urgent";
            String owner = random.nextInt(100) < 60 ? Long.toString(agents[random.nextInt(agents.length)]) : null;
            row(rows, "T-" + i, MAILBOX, subject(random), status, priority, Long.toString(contacts[random.nextInt(contacts.length)]),
                    owner, Long.toString(groups[random.nextInt(groups.length)]), created.toString(), created.plusSeconds(3600).toString(),
                    created.plusSeconds(3600).toString(),
                    status.equals("pending") ? now.plus(Duration.ofHours(1 + random.nextInt(240))).toString() : null,
                    status.equals("pending") ? "customer" : null,
                    status.equals("resolved") ? now.minus(Duration.ofHours(random.nextInt(6 * 24))).toString()
                            : status.equals("closed") ? created.plus(Duration.ofDays(1)).toString() : null);
            if (rows.length() > 1 << 20) {
                write(in, rows);
            }
        }
        write(in, rows);
        in.endCopy();
    }

    /** The messages in two parallel COPY streams (odd and even tickets), each on its own connection. */
    private void copyMessages(long firstTicket, Instant base) throws InterruptedException, IOException, SQLException {
        long[] agents;
        long[] contacts;
        try (Connection c = connect()) {
            agents = ids(c, "select id from staff_user where email like '%@bench.example' order by id");
            contacts = ids(c, "select id from contact order by id");
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Void>> parts = new ArrayList<>();
            for (int part = 0; part < 2; part++) {
                int p = part;
                parts.add(pool.submit(() -> {
                    copyMessagePart(p, firstTicket, base, agents, contacts);
                    return null;
                }));
            }
            for (Future<Void> f : parts) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("seeding the messages failed: " + e.getCause(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void copyMessagePart(int part, long firstTicket, Instant base, long[] agents, long[] contacts) throws SQLException, IOException {
        SplittableRandom random = new SplittableRandom(seed + 10 + part);
        long step = HISTORY.toMillis() / Math.max(1, tickets);
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("set session_replication_role = replica");
            CopyIn in = ((PGConnection) c.unwrap(PGConnection.class)).getCopyAPI().copyIn("copy ticket_message (ticket_id, kind, "
                    + "author_contact_id, author_staff_id, body_text, created_at) from stdin");
            StringBuilder rows = new StringBuilder();
            for (int i = 1 + part; i <= tickets; i += 2) {
                long ticketId = firstTicket + i - 1;
                Instant created = base.plusMillis(step * i);
                int count = i % LONG_THREAD_EVERY == 0 ? LONG_THREAD : 1 + random.nextInt(9);
                for (int m = 0; m < count; m++) {
                    String kind = m == 0 ? "inbound" : m % 5 == 4 ? "note" : m % 2 == 1 ? "outbound" : "inbound";
                    boolean customer = kind.equals("inbound");
                    String body = body(random) + (m == 0 && i % RARE_EVERY == 0 ? " " + RARE_WORD : "");
                    row(rows, Long.toString(ticketId), kind, customer ? Long.toString(contacts[random.nextInt(contacts.length)]) : null,
                            customer ? null : Long.toString(agents[random.nextInt(agents.length)]), body,
                            created.plusSeconds(60L * m).toString());
                }
                if (rows.length() > 1 << 20) {
                    write(in, rows);
                }
            }
            write(in, rows);
            in.endCopy();
        }
    }

    private static String subject(SplittableRandom random) {
        String[] language = WORDS[random.nextInt(WORDS.length)];
        StringBuilder s = new StringBuilder();
        int words = 3 + random.nextInt(5);
        for (int w = 0; w < words; w++) {
            s.append(w == 0 ? "" : " ").append(zipf(random, language));
        }
        if (random.nextInt(10) == 0) {
            s.append(" ORD-").append(2020 + random.nextInt(6)).append('-').append(random.nextInt(100_000));
        }
        return s.toString();
    }

    /** A body of 30–80 words of one language, with now and then an order number, an address or a phone number. */
    private static String body(SplittableRandom random) {
        String[] language = WORDS[random.nextInt(WORDS.length)];
        StringBuilder s = new StringBuilder();
        int words = 30 + random.nextInt(51);
        for (int w = 0; w < words; w++) {
            s.append(w == 0 ? "" : w % 12 == 0 ? ". " : " ").append(zipf(random, language));
            int extra = random.nextInt(200);
            if (extra == 0) {
                s.append(" ORD-").append(2020 + random.nextInt(6)).append('-').append(random.nextInt(100_000));
            } else if (extra == 1) {
                s.append(" +49 30 ").append(1_000_000 + random.nextInt(9_000_000));
            } else if (extra == 2) {
                s.append(" ").append(pick(random, FIRST).toLowerCase()).append('@').append(pick(random, DOMAINS));
            }
        }
        return s.append('.').toString();
    }

    /** Words early in the list come far more often, as in real text. */
    private static String zipf(SplittableRandom random, String[] words) {
        double u = random.nextDouble();
        int i = (int) Math.floor(Math.pow(words.length + 1, u)) - 1;
        return words[Math.min(words.length - 1, Math.max(0, i))];
    }

    private static String pick(SplittableRandom random, String[] values) {
        return values[random.nextInt(values.length)];
    }

    private static long[] ids(Connection c, String sql) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet r = st.executeQuery(sql)) {
            while (r.next()) {
                ids.add(r.getLong(1));
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long single(Statement st, String sql) throws SQLException {
        try (ResultSet r = st.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static String sqlArray(String[] values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            b.append(i == 0 ? "" : ",").append('\'').append(values[i].replace("'", "''")).append('\'');
        }
        return b.append(']').toString();
    }

    /** One row of COPY's text format: tab-separated, {@code \N} for null, special characters escaped. */
    private static void row(StringBuilder rows, String... values) {
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                rows.append('\t');
            }
            String v = values[i];
            if (v == null) {
                rows.append("\\N");
                continue;
            }
            for (int k = 0; k < v.length(); k++) {
                char ch = v.charAt(k);
                switch (ch) {
                    case '\\' -> rows.append("\\\\");
                    case '\t' -> rows.append("\\t");
                    case '\n' -> rows.append("\\n");
                    case '\r' -> rows.append("\\r");
                    default -> rows.append(ch);
                }
            }
        }
        rows.append('\n');
    }

    private static void copy(Connection c, String target, StringBuilder rows) throws SQLException, IOException {
        CopyIn in = ((PGConnection) c.unwrap(PGConnection.class)).getCopyAPI().copyIn("copy " + target + " from stdin");
        write(in, rows);
        in.endCopy();
    }

    private static void write(CopyIn in, StringBuilder rows) throws SQLException {
        byte[] bytes = rows.toString().getBytes(StandardCharsets.UTF_8);
        in.writeToCopy(bytes, 0, bytes.length);
        rows.setLength(0);
    }
}
