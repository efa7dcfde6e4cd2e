"""Requests (software, access, equipment, mailboxes): their types, forms and approvals."""
