"""What the example workflows (examples/*.yml) are held to, in one place for their tests."""

CURRENT_MAJORS = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/setup-node": 7,
    "actions/cache/restore": 6,
    "actions/cache/save": 6,
    "actions/upload-artifact": 7,
    "actions/download-artifact": 8,
}
"""The current major of each action the examples use (checked December 2026: checkout v7 since
June 2026, setup-node v7 July, cache v6 and upload-artifact v7 August)."""
