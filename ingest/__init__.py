"""Getting data in: file formats, validation, idempotent upserts, import jobs (a Django app)."""
