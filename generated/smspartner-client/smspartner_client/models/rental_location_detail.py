from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RentalLocationDetail")


@_attrs_define
class RentalLocationDetail:
    """Volumes for one targeted location. Field names are capitalised as in the docs.

    Attributes:
        type_ (str): Kind of location, e.g. "cp" (postal code).
        location (str): The location itself, e.g. the postal code "60200".
        volume_desired (str): A count sent as a string of digits, e.g. "10" (never a JSON number).
        volume (str): A count sent as a string of digits, e.g. "10" (never a JSON number).
    """

    type_: str
    location: str
    volume_desired: str
    volume: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        location = self.location

        volume_desired = self.volume_desired

        volume = self.volume

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "Type": type_,
                "Location": location,
                "VolumeDesired": volume_desired,
                "Volume": volume,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        type_ = d.pop("Type")

        location = d.pop("Location")

        volume_desired = d.pop("VolumeDesired")

        volume = d.pop("Volume")

        rental_location_detail = cls(
            type_=type_,
            location=location,
            volume_desired=volume_desired,
            volume=volume,
        )

        rental_location_detail.additional_properties = d
        return rental_location_detail

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
