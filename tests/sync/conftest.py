from tests.sync.fixtures import clinic, clinic_client, clinic_signers, clinic_ws, exchange, tokens  # noqa: F401
