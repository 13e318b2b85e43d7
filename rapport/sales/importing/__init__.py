"""The deal history's import kinds: products and order lines. Each kind has its columns (header
aliases in our four languages, `columns`), its row check and its write through the app's own
writer (rapport.sales.bulk); rapport.imports runs the jobs."""
