package dev.ticketd.mail;

/** The outcome of parsing a mail: either the parts we need, or the reason it could not be read. */
public sealed interface ParseResult {

    record Parsed(ParsedMail mail) implements ParseResult {
    }

    record Failed(String reason) implements ParseResult {
    }
}
