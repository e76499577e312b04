-- The outbox's waiting mails by themselves: the metrics' count of waiting mails and the senders'
-- look for work read only these entries, however many mails were ever sent (the (mailbox, status,
-- id) index holds every row, so counting through it grew with the whole history).
create index outbox_waiting_idx on outbox (id) where status = 'pending';
