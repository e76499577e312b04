-- An edited policy moves the due times of the clocks that count by it (SlaClocks.policyEdited),
-- reading them 500 tickets at a time in ticket order. Without an index each batch read the whole
-- clock table, so an edit under a large policy cost batches × table while it held the tickets'
-- locks. Additive: an older node neither needs nor minds it.
create index ticket_sla_clock_policy_idx on ticket_sla_clock (policy_id, ticket_id);
