"""Decision-tree diagnostics: graphs, validation, sessions, checks, views."""
