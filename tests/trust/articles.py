"""The article the trust tests save, draft and race over (fields as the JSON API takes them)."""

ARTICLE = {
    "title": "Printer offline after Windows update",
    "slug": "printer-offline-after-update",
    "summary": "The printer shows Offline after an update.",
    "tags": "printing",
    "category": "Printing",
    "service": "printing",
    "audience": "public",
    "owner": "author@example.org",
    "body": "## Issue\n\nThe printer shows `Offline`.",
}
