from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.stop_entry import StopEntry


T = TypeVar("T", bound="StopList")


@_attrs_define
class StopList:
    """Answer of `GET /stop-sms/list`.

    Attributes:
        success (bool): Always true in a successful answer.
        code (Literal[200]): Result code; always 200 ("Tout s'est bien passé !") on success.
        nb_data (int): `nbData`: the number of entries in `data`. The docs never define it (their XML
            example says 3 for one entry); a contract run checks it against `data`.
        data (list[StopEntry]): The numbers on the STOP list.
    """

    success: bool
    code: Literal[200]
    nb_data: int
    data: list[StopEntry]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        code = self.code

        nb_data = self.nb_data

        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "success": success,
                "code": code,
                "nbData": nb_data,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.stop_entry import StopEntry  # noqa: PLC0415

        d = dict(src_dict)
        success = d.pop("success")

        code = cast(Literal[200], d.pop("code"))
        if code != 200:
            raise ValueError(f"code must match const 200, got '{code}'")

        nb_data = d.pop("nbData")

        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = StopEntry.from_dict(data_item_data)

            data.append(data_item)

        stop_list = cls(
            success=success,
            code=code,
            nb_data=nb_data,
            data=data,
        )

        stop_list.additional_properties = d
        return stop_list

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
