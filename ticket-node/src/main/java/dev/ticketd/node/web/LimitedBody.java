package dev.ticketd.node.web;

import io.javalin.http.Context;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * A request body read with a limit of its own, for the one route that takes more than
 * Javalin's {@code http.maxRequestSize} (which {@code ctx.body()} and form parameters obey on
 * every other route). A declared Content-Length above the limit is refused before anything is
 * read; a body without one (chunked) fails with {@link TooLargeException} once it passes the limit.
 */
public final class LimitedBody {

    /** The body went past the limit; thrown by {@link InputStream#read}, so it may arrive as the cause of a parser's exception. */
    public static final class TooLargeException extends IOException {
        TooLargeException(long limit) {
            super("request body larger than " + limit + " bytes");
        }
    }

    /** A refused body up to this many times its limit is read before the answer; see {@link #refused}. */
    static final long DRAIN_FACTOR = 2;
    /** The longest a refused body is read before the answer goes out anyway. */
    static final Duration DRAIN_FOR = Duration.ofSeconds(10);

    private LimitedBody() {
    }

    /**
     * @param tooLarge what the client is told (status 413) when the declared length is above the limit
     */
    public static InputStream open(Context ctx, long limit, String tooLarge) {
        if (ctx.req().getContentLengthLong() > limit) {
            throw refused(ctx, limit, tooLarge);
        }
        return new Capped(ctx.bodyInputStream(), limit);
    }

    /**
     * The 413 for a request whose declared length is above {@code limit}, thrown by the caller.
     * A body of up to twice the limit is read and dropped first: a server that answers while the
     * client is still sending and then closes makes the client's TCP stack reset the connection,
     * which can discard the answer before it is read, so the staff member sees "connection reset"
     * instead of the reason. The read stops after {@link #DRAIN_FOR}, however slowly the client
     * sends. Anything larger is answered at once (the client may see a reset), and
     * so is a client that asked to hear first ({@code Expect: 100-continue}): it has sent nothing
     * yet and never will, since nothing reads the body and so no "100 Continue" is sent.
     */
    public static HttpProblem refused(Context ctx, long limit, String tooLarge) {
        long declared = ctx.req().getContentLengthLong();
        String expect = ctx.header("Expect");
        boolean waitsToSend = expect != null && expect.trim().equalsIgnoreCase("100-continue");
        if (!waitsToSend && declared > 0 && declared <= DRAIN_FACTOR * limit) {
            drain(ctx, System.nanoTime() + DRAIN_FOR.toNanos());
        }
        return new HttpProblem(413, tooLarge);
    }

    /**
     * Reads and drops the body until its end or {@code deadline} (then the answer goes out anyway):
     * a client trickling its bytes holds a server thread at most {@link #DRAIN_FOR} and one idle timeout.
     */
    private static void drain(Context ctx, long deadline) {
        byte[] buffer = new byte[64 * 1024];
        try {
            InputStream in = ctx.req().getInputStream();
            while (in.read(buffer) >= 0 && System.nanoTime() - deadline < 0) {
                // dropped
            }
        } catch (IOException e) {
            // the client went away or stalled past the idle timeout; it is answered all the same
        }
    }

    /** Whether {@code e} or one of its causes is a {@link TooLargeException}. */
    public static boolean tooLarge(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TooLargeException) {
                return true;
            }
        }
        return false;
    }

    private static final class Capped extends FilterInputStream {
        private final long limit;
        private long read;

        Capped(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count(skipped);
            return skipped;
        }

        private void count(long n) throws TooLargeException {
            read += n;
            if (read > limit) {
                throw new TooLargeException(limit);
            }
        }
    }
}
