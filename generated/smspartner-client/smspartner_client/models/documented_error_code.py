from enum import IntEnum


class DocumentedErrorCode(IntEnum):
    API_KEY_REQUIRED = 1
    API_KEY_INCORRECT = 10
    ACCOUNT_DISABLED = 20
    ACCOUNT_BLOCKED = 30
    RENTAL_TOKEN_REQUIRED = 31
    RENTAL_NOT_FOUND = 32
    RENTAL_FILE_NOT_FOUND = 33
    RENTAL_ALREADY_USED = 34
    RENTAL_BEING_DOWNLOADED = 35
    RENTAL_FAILED = 36
    API_ACCESS_DENIED = 40
    IP_NOT_AUTHORIZED = 96

    def __str__(self) -> str:
        return str(self.value)
