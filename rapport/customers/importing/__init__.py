"""The customer file's import kinds: customers, and organisations with their contacts. Each kind
has its columns (header aliases in our four languages, `columns`), its row check and its write
through the app's own writer (rapport.customers.bulk); rapport.imports runs the jobs."""
