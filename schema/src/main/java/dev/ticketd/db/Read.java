package dev.ticketd.db;

/**
 * The result of a read and where it came from.
 *
 * @param fromStandby true when the primary was out of reach and a hot standby answered: the data
 *                    may then be a few seconds old, and the user must be told so
 */
public record Read<T>(T value, boolean fromStandby) {

    public static <T> Read<T> fresh(T value) {
        return new Read<>(value, false);
    }

    public <U> Read<U> map(java.util.function.Function<T, U> f) {
        return new Read<>(f.apply(value), fromStandby);
    }
}
