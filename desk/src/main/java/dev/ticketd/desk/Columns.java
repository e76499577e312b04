package dev.ticketd.desk;

import org.jooq.exception.DataAccessException;

/** Helpers for values derived from a mail on their way into the database; shared by intake, the quarantine and the desk. */
public final class Columns {

    private Columns() {
    }

    /** Cuts a string to a column's width. */
    public static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    /**
     * SQLState classes 22 (data exception) and 23 (integrity constraint): the database refused a
     * value derived from the mail's content, not the database failing; retrying cannot help, storing
     * the mail raw for a person can.
     */
    public static boolean isAboutThisMail(DataAccessException e) {
        String state = e.sqlState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }
}
