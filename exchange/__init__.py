"""A reference national exchange (DITAS/HIX with eligibility, rules, SEPAS and TTAC behind it).

For development, tests and the demo only; never shipped. It is a real HTTP server process
(`noskhe exchange serve`), with its own SQLite database and seeded demo data, speaking the FHIR R4 wire
model of `sync.fhir`. See `exchange.http` for the API and `exchange.auth` for how facilities authenticate.
"""
