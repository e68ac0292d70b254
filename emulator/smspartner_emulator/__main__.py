"""`python -m smspartner_emulator` is the same as the `smspartner-emulator` command."""

from smspartner_emulator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
