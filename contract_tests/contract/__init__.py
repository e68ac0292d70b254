"""The contract run: schemathesis on spec/smspartner.yaml against the emulator or a URL."""
