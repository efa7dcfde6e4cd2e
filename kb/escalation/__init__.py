"""Escalation: priority and SLA, the outbox and its dispatcher, tickets, write-back, follow-ups."""
