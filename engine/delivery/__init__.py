"""Delivery: the outbox leaves the building (DESIGN.md rule 10, docs/notices.md).

Commands only write outbox rows; the dispatcher here claims due rows under a lease, renders the
notice in the client's language, hands it to one channel adapter per channel (email, partner
webhook, SMS, letter, in-app) and records the outcome on the row, one transaction per row.
"""
