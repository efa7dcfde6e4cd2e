"""Articles: front matter, rendering, revisions, review workflow, import/export and pages."""
