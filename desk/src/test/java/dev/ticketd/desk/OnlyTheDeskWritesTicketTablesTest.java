package dev.ticketd.desk;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rule that makes the desk the one home of tickets: no production module but {@code desk}
 * writes {@code ticket}, {@code ticket_message}, {@code ticket_tag}, {@code attachment}, {@code contact} or
 * {@code audit_log}, neither through jOOQ nor in SQL text. Reading them is fine.
 *
 * <p>Scanned: {@code src/main} of every module the parent POM lists, except {@code desk} itself and
 * {@code chaos-tests} (a test harness: it reads the tables to judge a run and is no part of the
 * product). Tests ({@code src/test}) may write the tables to set up their data.
 *
 * <p>A textual rule, so it is simple and reviewable; it errs on the side of flagging (a javadoc
 * that quotes {@code tx.update(TICKET)} is flagged too: say it another way).
 */
class OnlyTheDeskWritesTicketTablesTest {

    private static final String TABLES = "TICKET_MESSAGE|TICKET_TAG|TICKET|ATTACHMENT|CONTACT|AUDIT_LOG";
    private static final String SQL_TABLES = "ticket_message|ticket_tag|ticket|attachment|contact|audit_log";
    private static final List<String> EXEMPT = List.of("desk", "chaos-tests");

    /** jOOQ: {@code insertInto(TICKET…}, {@code update(Tables.AUDIT_LOG)}, {@code newRecord(CONTACT)}, … across line breaks. */
    private static final Pattern JOOQ_WRITE = Pattern.compile(
            "\\b(insertInto|update|deleteFrom|delete|mergeInto|truncate|truncateTable|newRecord|batchInsert|batchStore|batchUpdate|batchDelete)"
                    + "\\s*\\(\\s*(?:Tables\\s*\\.\\s*)?(" + TABLES + ")\\b");
    /** jOOQ by name: {@code insertInto(DSL.table("ticket"))}, {@code update(table(name("audit_log")))}. */
    private static final Pattern JOOQ_WRITE_BY_NAME = Pattern.compile(
            "\\b(insertInto|update|deleteFrom|delete|mergeInto|truncate|truncateTable)\\s*\\(\\s*(?:DSL\\s*\\.\\s*)?table\\s*\\(\\s*"
                    + "(?:(?:DSL\\s*\\.\\s*)?name\\s*\\(\\s*)?\"(?:public\\.)?(" + SQL_TABLES + ")\"", Pattern.CASE_INSENSITIVE);
    /** Updatable records of these tables: {@code TicketRecord.store()} writes without naming the table. */
    private static final Pattern RECORD_CLASS = Pattern.compile(
            "\\bgenerated\\.tables\\.records\\.(TicketMessageRecord|TicketRecord|AttachmentRecord|ContactRecord|AuditLogRecord)\\b");
    /** SQL text in a string literal or text block: {@code insert into ticket}, {@code UPDATE "audit_log"}, … */
    private static final Pattern SQL_WRITE = Pattern.compile(
            "\\b(insert\\s+into|update|delete\\s+from|merge\\s+into|truncate(?:\\s+table)?(?:\\s+only)?|copy)\\s+"
                    + "(?:\"?public\"?\\s*\\.\\s*)?\"?(" + SQL_TABLES + ")\"?(?![\\w.])", Pattern.CASE_INSENSITIVE);
    private static final Pattern STRING_LITERAL = Pattern.compile("\"\"\"(.*?)\"\"\"|\"((?:\\\\.|[^\"\\\\\\n])*)\"", Pattern.DOTALL);

    record Write(Path file, int line, String what) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + what;
        }
    }

    @Test
    void noModuleButTheDeskWritesTicketTablesInItsMainCode() throws IOException {
        Path root = projectRoot();
        List<Path> sources = new ArrayList<>();
        for (String module : modules(root)) {
            Path main = root.resolve(module).resolve("src/main");
            if (!EXEMPT.contains(module) && Files.isDirectory(main)) {
                try (Stream<Path> files = Files.walk(main)) {
                    files.filter(f -> f.toString().endsWith(".java")).forEach(sources::add);
                }
            }
        }
        // the rule must look at the modules that used to write tickets, or it proves nothing
        assertThat(sources).anyMatch(f -> f.endsWith("mail/TicketsFromMail.java"))
                .anyMatch(f -> f.endsWith("quarantine/QuarantineService.java"))
                .anyMatch(f -> f.endsWith("ticket/ReplyService.java"));

        List<Write> writes = new ArrayList<>();
        for (Path f : sources) {
            writes.addAll(writesIn(root.relativize(f), Files.readString(f)));
        }
        assertThat(writes)
                .as("only desk/ (dev.ticketd.desk.Tickets and Audit) writes ticket, ticket_message, attachment, contact "
                        + "and audit_log; call the desk instead of writing these tables here")
                .isEmpty();
    }

    @Test
    void theRuleSeesEveryKindOfWriteAndNoRead() {
        Path f = Path.of("Sample.java");
        assertThat(writesIn(f, "tx.insertInto(TICKET)\n    .set(TICKET.SUBJECT, s)")).hasSize(1);
        assertThat(writesIn(f, "tx.insertInto(\n  TICKET_MESSAGE)")).extracting(Write::line).containsExactly(1);
        assertThat(writesIn(f, "a();\ndb.dsl().update(Tables.AUDIT_LOG).set(x, y)")).extracting(Write::line).containsExactly(2);
        assertThat(writesIn(f, "tx.deleteFrom(ATTACHMENT).execute();")).hasSize(1);
        assertThat(writesIn(f, "tx.mergeInto(CONTACT).using(x)")).hasSize(1);
        assertThat(writesIn(f, "tx.newRecord(TICKET).store();")).hasSize(1);
        assertThat(writesIn(f, "tx.insertInto(DSL.table(\"ticket\")).set(x, y)")).hasSize(1);
        assertThat(writesIn(f, "import dev.ticketd.db.generated.tables.records.TicketRecord;")).hasSize(1);
        assertThat(writesIn(f, "tx.execute(\"update ticket set status = 'open' where id = ?\", id);")).hasSize(1);
        assertThat(writesIn(f, "tx.execute(\"INSERT INTO public.audit_log (actor) VALUES (?)\", a);")).hasSize(1);
        assertThat(writesIn(f, "String sql = \"\"\"\n    delete from ticket_message\n    where id = ?\n    \"\"\";")).hasSize(1);

        assertThat(writesIn(f, "tx.select(TICKET.ID).from(TICKET).forUpdate()")).isEmpty();
        assertThat(writesIn(f, "tx.update(OUTBOX).set(OUTBOX.TICKET_ID, id)")).isEmpty();
        assertThat(writesIn(f, "tx.insertInto(MAILBOX_STATUS)")).isEmpty();
        assertThat(writesIn(f, "sha.update(bytes)")).isEmpty();
        assertThat(writesIn(f, "tx.execute(\"select * from ticket where id = ?\", id);")).isEmpty();
        assertThat(writesIn(f, "log.info(\"the ticket update failed\");")).isEmpty();
        assertThat(writesIn(f, "tx.execute(\"update ticket_stats set n = 1\")")).isEmpty();
    }

    static List<Write> writesIn(Path file, String source) {
        List<Write> found = new ArrayList<>();
        for (Pattern p : List.of(JOOQ_WRITE, JOOQ_WRITE_BY_NAME, RECORD_CLASS)) {
            Matcher m = p.matcher(source);
            while (m.find()) {
                found.add(new Write(file, lineOf(source, m.start()), m.group().replaceAll("\\s+", " ")));
            }
        }
        Matcher literal = STRING_LITERAL.matcher(source);
        while (literal.find()) {
            int group = literal.group(1) != null ? 1 : 2;
            Matcher sql = SQL_WRITE.matcher(literal.group(group));
            while (sql.find()) {
                found.add(new Write(file, lineOf(source, literal.start(group) + sql.start()), sql.group().replaceAll("\\s+", " ")));
            }
        }
        return found;
    }

    private static int lineOf(String source, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (source.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    /** The directory whose pom.xml lists {@code desk} as a module; tests run in the module's own directory. */
    private static Path projectRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path pom = d.resolve("pom.xml");
            if (Files.isRegularFile(pom) && read(pom).contains("<module>desk</module>")) {
                return d;
            }
        }
        throw new IllegalStateException("no parent pom.xml listing <module>desk</module> above " + dir);
    }

    private static List<String> modules(Path root) {
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(read(root.resolve("pom.xml")));
        List<String> modules = new ArrayList<>();
        while (m.find()) {
            modules.add(m.group(1).strip());
        }
        return modules;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
