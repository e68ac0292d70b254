"""Tests of the generated client `smspartner_client` (emulator, spec examples, faults)."""
