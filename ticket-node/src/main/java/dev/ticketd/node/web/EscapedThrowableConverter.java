package dev.ticketd.node.web;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;

import java.util.Arrays;

/**
 * The stack trace of a logged exception ({@code %safeEx}) with each exception's message escaped as
 * {@link EscapedMessageConverter} escapes a log message: an exception may quote user text (a bad
 * email address, a header of a mail). The trace keeps its own line breaks, one per frame; only the
 * messages, which are not ours, are escaped. Stateless and thread-safe.
 */
public final class EscapedThrowableConverter extends ThrowableProxyConverter {

    @Override
    protected String throwableProxyToString(IThrowableProxy tp) {
        return super.throwableProxyToString(Escaped.of(tp));
    }

    /** The same throwable, its message (and those of its causes and suppressed ones) escaped. */
    private record Escaped(IThrowableProxy tp) implements IThrowableProxy {

        static IThrowableProxy of(IThrowableProxy tp) {
            return tp == null || tp instanceof Escaped ? tp : new Escaped(tp);
        }

        @Override
        public String getOverridingMessage() {
            return EscapedMessageConverter.escape(tp.getOverridingMessage());
        }

        @Override
        public String getMessage() {
            return EscapedMessageConverter.escape(tp.getMessage());
        }

        @Override
        public String getClassName() {
            return tp.getClassName();
        }

        @Override
        public StackTraceElementProxy[] getStackTraceElementProxyArray() {
            return tp.getStackTraceElementProxyArray();
        }

        @Override
        public int getCommonFrames() {
            return tp.getCommonFrames();
        }

        @Override
        public IThrowableProxy getCause() {
            return of(tp.getCause());
        }

        @Override
        public IThrowableProxy[] getSuppressed() {
            IThrowableProxy[] suppressed = tp.getSuppressed();
            return suppressed == null ? null : Arrays.stream(suppressed).map(Escaped::of).toArray(IThrowableProxy[]::new);
        }

        @Override
        public boolean isCyclic() {
            return tp.isCyclic();
        }
    }
}
