"""The contract run: the spec checked against the emulator or the live API, graded and recorded."""

import sys

try:  # the kit's smspartner-emulator carries the guard (smspartner_emulator._kit)
    from smspartner_emulator import _kit
except ImportError:  # pragma: no cover (an emulator that is not the kit's)
    print(
        "smspartner-contract: refusing to run: the installed smspartner-emulator is not the "
        "kit's (no smspartner_emulator._kit): install the kit's smspartner-emulator",
        file=sys.stderr,
    )
    raise SystemExit(2) from None

# An installed smspartner-emulator or smspartner-client that is not the kit's stops the import.
_kit.require("smspartner-contract", ("smspartner-emulator", "smspartner-client"))
