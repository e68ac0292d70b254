"""The contract run: the spec checked against the emulator or the live API, graded and recorded."""

from smspartner_contract import _kit

# An installed smspartner-emulator or smspartner-client that is not the kit's stops the import.
_kit.require("smspartner-contract", ("smspartner-emulator", "smspartner-client"))
