"""pytest plugin of the SMS Partner emulator (entry point `pytest11`)."""
