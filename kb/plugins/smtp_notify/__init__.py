"""Built-in plugin ``smtp_notify``: e-mail to requesters, support groups and outage
subscribers (plugin.py: the hooks; mail.py: composing and sending)."""
