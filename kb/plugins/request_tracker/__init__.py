"""Built-in plugin ``request_tracker``: escalations as Request Tracker 5 tickets, and RT's
resolutions back into kb (plugin.py: the hooks; client.py: REST2; tickets.py; views.py)."""
