"""The contract run: the spec checked against the emulator or the live API, graded and recorded."""
