"""Built-in plugin ``webhooks``: signed events out (outbound.py), signed resolutions in
(inbound.py, views.py), one signing scheme for both (signing.py); the hooks in plugin.py."""
