-- Sending the outbox and acknowledging new tickets (issue "Mail as customers really send it",
-- items 3 and 6). Additive only: defaulted or nullable columns and an index, so an old node keeps
-- working beside a new one (an old node's staff replies get kind 'reply' by default).

-- Whether a mail that opens a new ticket is answered with an automatic acknowledgement.
alter table mailbox add column ack_enabled boolean not null default true;

-- 'reply' is a person's answer; 'ack' is an automatic acknowledgement, sent with
-- Auto-Submitted: auto-replied (RFC 3834) and counted for the per-sender rate limit.
alter table outbox add column kind varchar(16) not null default 'reply';
alter table outbox add constraint outbox_kind_chk check (kind in ('reply', 'ack'));

-- The sender's claim: a row in 'sending' whose claim is older than the claim expiry belonged to a
-- sender that died mid-send; it is sent again with the same Message-ID.
alter table outbox add column claimed_at timestamptz;
alter table outbox add column claimed_epoch bigint;
-- After a transient failure a row waits until then (null: at once).
alter table outbox add column next_attempt_at timestamptz;
-- What the SMTP server answered to the accepted mail (its queue id, usually).
alter table outbox add column smtp_reply text;

-- The rate limit counts recent acknowledgements per recipient.
create index outbox_kind_to_created_idx on outbox (kind, to_address, created_at);
