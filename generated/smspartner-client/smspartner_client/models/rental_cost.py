from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RentalCost")


@_attrs_define
class RentalCost:
    """Cost of the rental.

    Attributes:
        quantity (int): Number of contacts rented (`cost.quantity`), e.g. 10.
        total (str): Amount in euros as a decimal string with a dot, e.g. "0.900" (never a JSON number).
        cost_unity (str): Amount in euros as a decimal string with a dot, e.g. "0.900" (never a JSON number).
    """

    quantity: int
    total: str
    cost_unity: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        quantity = self.quantity

        total = self.total

        cost_unity = self.cost_unity

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "quantity": quantity,
                "total": total,
                "cost_unity": cost_unity,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        quantity = d.pop("quantity")

        total = d.pop("total")

        cost_unity = d.pop("cost_unity")

        rental_cost = cls(
            quantity=quantity,
            total=total,
            cost_unity=cost_unity,
        )

        rental_cost.additional_properties = d
        return rental_cost

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
