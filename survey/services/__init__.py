"""Use cases that own the transaction: ingest, sample, dispatch, respond, report, privacy."""
