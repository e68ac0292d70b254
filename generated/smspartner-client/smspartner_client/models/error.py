from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.documented_error_code import DocumentedErrorCode
from ..types import UNSET, Unset

T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """Error envelope shared by every endpoint. Documented codes for these endpoints:
    1 API key required ("La Clé API est requise"), 10 API key incorrect ("Clé API
    incorrecte"; the stop-list page spells it "Clef API incorrecte"), 31 rental token
    required ("Le token de la location est requis"), 32 rental not found ("Location
    introuvable"). The error-code page adds 20 account disabled, 30 account blocked,
    33 rental file not found, 34 already used, 35 being downloaded, 36 rental failed,
    40 API access denied, 96 IP not authorized. The code is an open set: a new code
    is not a contract break, so it is not an enum.

    Envelopes of other endpoints of the same API vary (`error` instead of `message`,
    extra objects such as `credits`): `message` is therefore not required here, the
    envelope stays open, and `error`/`errors` are described without constraining them,
    so that none of those variants reads as drift.

        Attributes:
            success (bool): Always false in an error envelope.
            code (DocumentedErrorCode | int): Numeric error code. A documented code (`DocumentedErrorCode`) or any other
                integer: a code the docs do not list is not a contract break.
            message (str | Unset): Human-readable explanation, in French on the live API. Every envelope the two
                pages show has it; some envelopes of other endpoints carry `error` instead.
            error (Any | Unset): Not shown on these two pages. Other endpoints send `{"message": "NOCREDITS"}` here
                instead of `message`, or a list of `{"elementId": ..., "message": ...}` for
                validation errors. Any shape is accepted (this file states nothing about it).
            errors (Any | Unset): Not shown on these two pages. Other endpoints send validation errors here as a
                list of `{"elementId": ..., "message": ...}`. Any shape is accepted.
    """

    success: bool
    code: DocumentedErrorCode | int
    message: str | Unset = UNSET
    error: Any | Unset = UNSET
    errors: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        code: int
        if isinstance(self.code, DocumentedErrorCode):
            code = self.code.value
        else:
            code = self.code

        message = self.message

        error = self.error

        errors = self.errors

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "success": success,
                "code": code,
            }
        )
        if message is not UNSET:
            field_dict["message"] = message
        if error is not UNSET:
            field_dict["error"] = error
        if errors is not UNSET:
            field_dict["errors"] = errors

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        success = d.pop("success")

        def _parse_code(data: object) -> DocumentedErrorCode | int:
            try:
                if not isinstance(data, int):
                    raise TypeError()
                componentsschemas_error_code_type_0 = DocumentedErrorCode(data)

                return componentsschemas_error_code_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DocumentedErrorCode | int, data)

        code = _parse_code(d.pop("code"))

        message = d.pop("message", UNSET)

        error = d.pop("error", UNSET)

        errors = d.pop("errors", UNSET)

        error = cls(
            success=success,
            code=code,
            message=message,
            error=error,
            errors=errors,
        )

        error.additional_properties = d
        return error

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
