package dev.ticketd.node.web;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The node's logback configuration escapes control characters in every message, so user text cannot forge a log line. */
class LogEscapingTest {

    @Test
    void aValueWithCrLfStaysOnItsLogLine() throws Exception {
        String line = format("src/main", "login failed email={} ip={}", "ann@example.test\r\n2026-01-01 INFO fake - admin logged in", "10.0.0.1");

        assertThat(line).endsWith("\n");
        assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n").doesNotContain("\r")
                .endsWith("login failed email=ann@example.test\\r\\n2026-01-01 INFO fake - admin logged in ip=10.0.0.1");
    }

    @Test
    void otherControlCharactersAreEscapedAndOrdinaryTextIsLeftAlone() throws Exception {
        assertThat(format("src/main", "subject={}", "a\tb\u001b[31mred\u0085next\u2028sep")).endsWith(
                "subject=a\\tb\\u001b[31mred\\u0085next\\u2028sep\n");
        assertThat(format("src/main", "subject={}", "Grüße – «ok»")).endsWith("subject=Grüße – «ok»\n");
    }

    @Test
    void theMessageOfALoggedExceptionIsEscapedAndItsTraceKeepsOneFramePerLine() throws Exception {
        Exception e = new IllegalArgumentException("not a valid email address: x\r\nERROR forged", new IllegalStateException("cause\nforged"));

        String out = format("src/main", "request failed", e);

        assertThat(out).contains("request failed\n")
                .contains("java.lang.IllegalArgumentException: not a valid email address: x\\r\\nERROR forged\n")
                .contains("Caused by: java.lang.IllegalStateException: cause\\nforged\n")
                .contains("\tat dev.ticketd.node.web.LogEscapingTest.");
        assertThat(out.lines()).noneMatch(l -> l.startsWith("ERROR forged") || l.startsWith("forged"));
    }

    @Test
    void theTestConfigurationEscapesToo() throws Exception {
        assertThat(format("src/test", "x={}", "a\nb")).endsWith("x=a\\nb\n");
    }

    /** Formats one event (a last argument that is a Throwable is its exception) with the encoder of the appender "OUT" of the node's real logback configuration. */
    private static String format(String tree, String pattern, Object... args) throws Exception {
        String resource = tree.equals("src/main") ? "logback.xml" : "logback-test.xml";
        URL config = LogEscapingTest.class.getClassLoader().getResource(resource);
        assertThat(config).as(resource).isNotNull();
        LoggerContext context = new LoggerContext();
        try {
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(config);
            Logger logger = context.getLogger("dev.ticketd.test");
            var appender = (OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("OUT");
            Throwable thrown = args.length > 0 && args[args.length - 1] instanceof Throwable t ? t : null;
            Object[] params = thrown == null ? args : Arrays.copyOf(args, args.length - 1);
            LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, Level.INFO, pattern, thrown, params);
            return new String(appender.getEncoder().encode(event), StandardCharsets.UTF_8);
        } finally {
            context.stop();
        }
    }
}
