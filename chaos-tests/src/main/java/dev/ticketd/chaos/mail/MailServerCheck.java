package dev.ticketd.chaos.mail;

import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Checks {@link MailServer} end to end, as root: on 127.0.0.1 with free ports, then (unless
 * {@code --no-netns}) inside a network namespace of its own, reached over a veth pair, with the
 * daemons started through {@code ip netns exec}. Exits non-zero on the first failed expectation.
 * <pre>
 * chaos-tests/mail-check [--no-netns]
 * </pre>
 */
public final class MailServerCheck {

    private static final Logger log = LoggerFactory.getLogger(MailServerCheck.class);
    private static final String SUPPORT = MailServerConfig.DEFAULT_SUPPORT;
    private static final String SUPPORT_PASSWORD = MailServerConfig.DEFAULT_SUPPORT_PASSWORD;
    private static final Duration DELIVERY = Duration.ofSeconds(30);

    private MailServerCheck() {
    }

    public static void main(String[] args) throws Exception {
        boolean netns = !Arrays.asList(args).contains("--no-netns");
        long pid = ProcessHandle.current().pid();
        check(MailServerConfig.of(Path.of("/tmp/tc-mail-" + pid + "-lo"), "127.0.0.1", freePort(), freePort(), freePort()));
        if (netns) {
            String ns = "tc-mailcheck-" + pid;
            String address = "10.254." + (pid % 250) + ".2";
            Namespace namespace = Namespace.create(ns, "tcm" + pid, "10.254." + (pid % 250) + ".1", address);
            try {
                check(MailServerConfig.of(Path.of("/tmp/tc-mail-" + pid + "-ns"), address, 143, 25, 24)
                        .withCommandPrefix(List.of("ip", "netns", "exec", ns)));
            } finally {
                namespace.close();
            }
        }
        log.info("all mail server checks passed");
    }

    private static void check(MailServerConfig config) throws Exception {
        log.info("checking address={} prefix={}", config.bindAddress(), config.commandPrefix());
        List<Long> pids = new ArrayList<>();
        try (MailServer server = MailServer.start(config)) {
            log.info("startup_ms={}", server.startupTime().toMillis());
            Session session = session(server);

            long sent = System.nanoTime();
            try (Transport smtp = session.getTransport("smtp")) {
                smtp.connect();
                for (int i = 1; i <= 50; i++) {
                    send(smtp, session, SUPPORT, "support " + i);
                }
                for (int i = 1; i <= 20; i++) {
                    send(smtp, session, (i % 2 == 0 ? "x" : "y") + "@customers.test", "reply " + i);
                }
                expectRefused(smtp, session, "someone@elsewhere.test");
                expectRefused(smtp, session, "nobody@example.test");
            }
            Store support = imap(session, server, SUPPORT, SUPPORT_PASSWORD);
            Store capture = imap(session, server, server.captureUser(), server.capturePassword());
            awaitCount(support, "INBOX", 50);
            log.info("50 support mails in INBOX after {} ms from first send", (System.nanoTime() - sent) / 1_000_000);
            awaitCount(capture, "INBOX", 20);
            for (String cap : List.of("IDLE", "MOVE", "UIDPLUS")) {
                expect(((IMAPStore) support).hasCapability(cap), "CAPABILITY lacks " + cap);
            }

            Folder processed = support.getFolder("Processed");
            expect(!processed.exists() && processed.create(Folder.HOLDS_MESSAGES), "could not create Processed");
            IMAPFolder inbox = (IMAPFolder) support.getFolder("INBOX");
            inbox.open(Folder.READ_WRITE);
            long before = inbox.getUIDValidity();
            inbox.moveMessages(new Message[] {inbox.getMessage(1)}, processed);
            inbox.close();
            expect(count(support, "INBOX") == 49 && count(support, "Processed") == 1, "MOVE to Processed did not take");

            // crash of the IMAP server; mail sent meanwhile waits in Postfix's queue
            pids.add(server.dovecotPid().orElseThrow());
            pids.add(server.postfixPid().orElseThrow());
            pids.addAll(descendants(pids));
            support.close();
            server.kill9Dovecot();
            try (Transport smtp = session.getTransport("smtp")) {
                smtp.connect();
                send(smtp, session, SUPPORT, "sent while dovecot was down");
            }
            long restart = System.nanoTime();
            server.startDovecot();
            log.info("dovecot restarted after kill -9 in {} ms", (System.nanoTime() - restart) / 1_000_000);
            support = imap(session, server, SUPPORT, SUPPORT_PASSWORD);
            capture.close(); // its connection died with dovecot
            capture = imap(session, server, server.captureUser(), server.capturePassword());
            awaitCount(support, "INBOX", 50);
            log.info("mail queued during the outage delivered {} ms after the restart began", (System.nanoTime() - restart) / 1_000_000);

            // crash of the SMTP server: refused while down, mail flows again after a start
            pids.add(server.postfixPid().orElseThrow());
            pids.addAll(descendants(pids));
            server.kill9Postfix();
            expect(smtpRefused(session), "SMTP still answers after kill -9 of postfix");
            long postfixRestart = System.nanoTime();
            server.startPostfix();
            log.info("postfix restarted after kill -9 in {} ms", (System.nanoTime() - postfixRestart) / 1_000_000);
            pids.add(server.postfixPid().orElseThrow());
            try (Transport smtp = session.getTransport("smtp")) {
                smtp.connect();
                send(smtp, session, "z@customers.test", "after the postfix crash");
            }
            awaitCount(capture, "INBOX", 21);

            pids.add(server.dovecotPid().orElseThrow());
            support.close();
            long resetStart = System.nanoTime();
            server.resetUidValidity(SUPPORT);
            log.info("uidvalidity reset (stop, delete, start) took {} ms", (System.nanoTime() - resetStart) / 1_000_000);
            pids.add(server.dovecotPid().orElseThrow());
            support = imap(session, server, SUPPORT, SUPPORT_PASSWORD);
            IMAPFolder reset = (IMAPFolder) support.getFolder("INBOX");
            reset.open(Folder.READ_ONLY);
            long after = reset.getUIDValidity();
            long firstUid = reset.getUID(reset.getMessage(1));
            int messages = reset.getMessageCount();
            reset.close();
            log.info("uidvalidity before={} after={} first_uid={} messages={}", before, after, firstUid, messages);
            expect(after != before, "UIDVALIDITY did not change");
            expect(messages == 50 && firstUid == 1, "INBOX after the reset: " + messages + " mails, first UID " + firstUid);
            expect(count(support, "Processed") == 1, "Processed lost its mail");
            pids.addAll(descendants(pids));
            support.close();
            capture.close();
        }
        String cwds = processesWorkingIn(config.dir());
        expect(!Files.exists(config.dir()), "dir still there: " + config.dir());
        List<Long> alive = pids.stream().filter(p -> ProcessHandle.of(p).map(Daemons::running).orElse(false)).toList();
        expect(alive.isEmpty(), "processes left after close: " + alive);
        String ps = psMatching(config.dir().toString(), "dovecot-ticketd-" + config.dir().getFileName() + "/");
        expect(ps.isEmpty(), "ps still shows:\n" + ps);
        // Postfix's and Dovecot's processes work in folders under dir: none may be left there
        expect(cwds.isEmpty(), "processes still working under " + config.dir() + ": " + cwds);
        log.info("checked address={} ({} pids seen, none left, dir gone)", config.bindAddress(), pids.size());
    }

    private static Session session(MailServer server) {
        Properties p = new Properties();
        p.put("mail.smtp.host", server.bindAddress());
        p.put("mail.smtp.port", Integer.toString(server.smtpPort()));
        p.put("mail.imap.host", server.bindAddress());
        p.put("mail.imap.port", Integer.toString(server.imapPort()));
        for (String proto : List.of("smtp", "imap")) {
            p.put("mail." + proto + ".connectiontimeout", "5000");
            p.put("mail." + proto + ".timeout", "10000");
            // no writetimeout: Angus runs it on a non-daemon executor per socket, and a socket whose
            // connect fails (the refused SMTP below) leaves that thread running, so the JVM never exits
        }
        return Session.getInstance(p);
    }

    private static void send(Transport smtp, Session session, String to, String subject) throws MessagingException {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress("customer@customers.test"));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
        m.setSubject(subject);
        m.setText("body of " + subject + "\n");
        m.saveChanges();
        smtp.sendMessage(m, m.getAllRecipients());
    }

    private static void expectRefused(Transport smtp, Session session, String to) throws MessagingException {
        try {
            send(smtp, session, to, "must be refused");
        } catch (SendFailedException e) {
            log.info("refused as expected to={} reason={}", to, String.valueOf(e.getNextException()).trim());
            return;
        }
        throw new IllegalStateException("the server accepted mail for " + to);
    }

    private static boolean smtpRefused(Session session) {
        try (Transport smtp = session.getTransport("smtp")) {
            smtp.connect();
            return false;
        } catch (MessagingException e) {
            return true;
        }
    }

    /** Pids (but this JVM) whose working folder is under {@code dir}; read after close, so dir is gone. */
    private static String processesWorkingIn(Path dir) throws IOException {
        StringBuilder hits = new StringBuilder();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    Path cwd = Files.readSymbolicLink(proc.resolve("cwd"));
                    if (cwd.toString().startsWith(dir.toString())) {
                        hits.append(proc.getFileName()).append(' ').append(cwd).append('\n');
                    }
                } catch (IOException e) {
                    // gone meanwhile, or a kernel thread
                }
            }
        }
        return hits.toString();
    }

    private static Store imap(Session session, MailServer server, String user, String password) throws MessagingException {
        Store store = session.getStore("imap");
        store.connect(server.bindAddress(), server.imapPort(), user, password);
        return store;
    }

    private static int count(Store store, String folder) throws MessagingException {
        return store.getFolder(folder).getMessageCount(); // STATUS on a closed folder
    }

    private static void awaitCount(Store store, String folder, int expected) throws MessagingException, InterruptedException {
        long deadline = System.nanoTime() + DELIVERY.toNanos();
        int seen;
        while ((seen = count(store, folder)) != expected) {
            expect(seen < expected && System.nanoTime() - deadline < 0, folder + " holds " + seen + " mails, expected " + expected);
            Thread.sleep(100); // poll interval inside a deadline
        }
    }

    private static List<Long> descendants(List<Long> roots) {
        return roots.stream().flatMap(p -> ProcessHandle.of(p).stream()).flatMap(ProcessHandle::descendants)
                .map(ProcessHandle::pid).toList();
    }

    private static String psMatching(String... needles) throws IOException, InterruptedException {
        Process ps = new ProcessBuilder("ps", "-eo", "pid,args").redirectErrorStream(true).start();
        String out = new String(ps.getInputStream().readAllBytes());
        ps.waitFor(10, TimeUnit.SECONDS);
        StringBuilder hits = new StringBuilder();
        for (String line : out.split("\n")) {
            for (String needle : needles) {
                if (line.contains(needle) && !line.contains("MailServerCheck")) {
                    hits.append(line).append('\n');
                    break;
                }
            }
        }
        return hits.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void expect(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("check failed: " + message);
        }
    }

    /** A network namespace with loopback up and a veth pair to this host's namespace. */
    private record Namespace(String name, String hostLink) implements AutoCloseable {

        static Namespace create(String name, String linkPrefix, String hostAddress, String nsAddress)
                throws IOException, InterruptedException {
            String host = linkPrefix + "h";
            String inner = linkPrefix + "n";
            Namespace ns = new Namespace(name, host);
            ip("netns", "add", name);
            try {
                ip("link", "add", host, "type", "veth", "peer", "name", inner);
                ip("link", "set", inner, "netns", name);
                ip("addr", "add", hostAddress + "/30", "dev", host);
                ip("link", "set", host, "up");
                ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
                ip("netns", "exec", name, "ip", "addr", "add", nsAddress + "/30", "dev", inner);
                ip("netns", "exec", name, "ip", "link", "set", inner, "up");
            } catch (IOException | InterruptedException | RuntimeException e) {
                ns.close();
                throw e;
            }
            log.info("namespace {} up, {} here, {} inside", name, hostAddress, nsAddress);
            return ns;
        }

        @Override
        public void close() throws IOException, InterruptedException {
            // deleting the namespace deletes the veth pair with it, once nothing runs inside
            ip("netns", "del", name);
            Process check = new ProcessBuilder("ip", "link", "show", hostLink).redirectErrorStream(true).start();
            check.getInputStream().readAllBytes();
            if (check.waitFor() == 0) {
                ip("link", "del", hostLink);
            }
            log.info("namespace {} deleted", name);
        }

        private static void ip(String... args) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of("ip"));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out.trim());
            }
        }
    }
}
