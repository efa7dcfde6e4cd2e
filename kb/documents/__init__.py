"""The core of reviewed, revisioned documents (articles and decision trees): storing revisions
with optimistic locking, the review workflow and its events, diffs and the history pages.
Each kind reaches it through a small adapter (kb.articles.workflow, kb.trees.workflow)."""
