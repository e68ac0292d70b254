from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="StopEntry")


@_attrs_define
class StopEntry:
    """One number on the STOP list.

    Attributes:
        id (int): Identifier of the STOP entry (used by `GET /stop-sms/delete`), e.g. 19.
        phone_number (str): Phone number in international form, "+" then digits (E.164). The docs mask it
            as "+33xxxxxxxxx"; the examples here use digits.
        created_at (str): Date and time as "YYYY-MM-DD HH:MM:SS", without time zone (presumably
            Europe/Paris). Not RFC 3339, hence a pattern and no `format`.
    """

    id: int
    phone_number: str
    created_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        phone_number = self.phone_number

        created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "phoneNumber": phone_number,
                "createdAt": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        phone_number = d.pop("phoneNumber")

        created_at = d.pop("createdAt")

        stop_entry = cls(
            id=id,
            phone_number=phone_number,
            created_at=created_at,
        )

        stop_entry.additional_properties = d
        return stop_entry

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
