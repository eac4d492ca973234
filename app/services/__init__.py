"""Use cases: what a GP or a pharmacist does, against the local store only.

Each function takes the store, the signers it needs and a clock, finishes in well under a second and never
touches the network: anything the exchange must learn goes into the outbox in the same transaction as the
change itself (`app.services.outbox`), and `sync/` carries it later.
"""
