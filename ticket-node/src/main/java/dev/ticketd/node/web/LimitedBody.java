package dev.ticketd.node.web;

import io.javalin.http.Context;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

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

    private LimitedBody() {
    }

    /**
     * @param tooLarge what the client is told (status 413) when the declared length is above the limit
     */
    public static InputStream open(Context ctx, long limit, String tooLarge) {
        if (ctx.req().getContentLengthLong() > limit) {
            throw new HttpProblem(413, tooLarge);
        }
        return new Capped(ctx.bodyInputStream(), limit);
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
