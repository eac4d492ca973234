from tests.sync.fixtures import clinic, clinic_client, clinic_signers, exchange, tokens  # noqa: F401
