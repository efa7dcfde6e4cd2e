"""The services behind the built-in integration plugins (Request Tracker, webhooks, e-mail).

The plugin modules in ``kb/plugins/`` are thin: they read configuration and call these, which
take plain arguments and can be tested without a web request.
"""
