"""Built-in plugin ``local_tickets``: kb's own ticket queue (plugin.py: the hooks; views.py:
the queue's pages and API)."""
