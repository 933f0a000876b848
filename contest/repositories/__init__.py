"""Queries: plain functions that read rows (select() lives here), one module per aggregate.

They return rows or None and raise nothing of their own; services turn a missing row into a
bilingual NotFound and own the transaction. Routers call services, never these directly.
"""
