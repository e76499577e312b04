-- Full-text search over tickets, in PostgreSQL alone. Every search column is a stored generated
-- column, so it is written in the same transaction as the row it describes and can never lag behind
-- it or be forgotten by a writer. pg_trgm and unaccent ship with PostgreSQL and are trusted
-- extensions: the database's owner may create them.
-- The build's in-memory schema reader parses none of this (extensions, text search, functions,
-- generated columns, GIN indexes); the code reads these columns by name.
-- [jooq ignore start]
create extension if not exists pg_trgm;
create extension if not exists unaccent;

-- Customers write in many languages: words are kept as they are (no stemming, no stop words, which
-- are per language), lower-cased and with their accents folded, so "Müller" finds "muller" and the
-- reverse.
create text search configuration ticketd_search (copy = pg_catalog.simple);
alter text search configuration ticketd_search
    alter mapping for asciiword, asciihword, hword_asciipart, word, hword, hword_part with unaccent, simple;

-- The tokens of a text that words do not cover, for partial matches: whatever holds a digit or an @
-- (order numbers, mail addresses, phone numbers, invoice references), lower-cased, each once, at
-- most 200 of them from the text's first 100,000 characters, so the work per mail is bounded.
create function ticketd_tokens(t text) returns text
    language sql immutable parallel safe
    return (select coalesce(string_agg(token, ' '), '')
            from (select distinct lower(trim(both '.,;:!?-/#' from m[1])) as token
                  from regexp_matches(left(t, 100000), '([^[:space:]<>()\[\]{}"'',;]*[0-9@][^[:space:]<>()\[\]{}"'',;]*)', 'g') as m
                  limit 200) tokens
            where length(token) >= 3);

-- What a search reads of a text: its first 100,000 characters (a tsvector has a size limit, and a
-- runaway mail must neither fail its own intake nor cost more than its start).
alter table ticket add column search tsvector
    generated always as (to_tsvector('ticketd_search', left(subject, 100000))) stored;
alter table ticket_message add column search tsvector
    generated always as (to_tsvector('ticketd_search', left(body_text, 100000))) stored;
alter table ticket_message add column tokens text
    generated always as (ticketd_tokens(body_text)) stored;
alter table contact add column search tsvector
    generated always as (to_tsvector('ticketd_search', display_name || ' ' || email)) stored;

create index ticket_search_idx on ticket using gin (search);
create index ticket_message_search_idx on ticket_message using gin (search);
create index ticket_message_tokens_idx on ticket_message using gin (tokens gin_trgm_ops);
create index contact_search_idx on contact using gin (search);
create index contact_email_trgm_idx on contact using gin (email gin_trgm_ops);
create index ticket_subject_trgm_idx on ticket using gin (subject gin_trgm_ops);
create index attachment_filename_trgm_idx on attachment using gin (lower(filename) gin_trgm_ops);
-- [jooq ignore stop]
