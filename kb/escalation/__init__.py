"""Escalation: creating escalations (intake), priority and SLA, tickets and the local queue,
resolving them and writing the resolution back. Its records are in kb.records, its deliveries
go through kb.outbox, its follow-ups through kb.followups."""
