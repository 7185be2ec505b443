"""The auditor's part: proving the record and reading it as it stood.

verify   the log intact: its chain, signatures, moments, keys, views and snapshots
log      the log as recorded, in pages, each record said in a sentence
replay   the record as it was true, or as it was known, at any moment
"""
