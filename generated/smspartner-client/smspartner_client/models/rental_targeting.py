from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.rental_cost import RentalCost
    from ..models.rental_location_detail import RentalLocationDetail


T = TypeVar("T", bound="RentalTargeting")


@_attrs_define
class RentalTargeting:
    """What was ordered in the rental (targeting criteria, volumes and cost).

    Attributes:
        sexe (str): Targeted sex as text, e.g. "femme" (orders send `m`, `h` or `f`).
        min_age (int): An age of the targeted contacts, in years (`minAge`, `maxAge`), e.g. 31.
        max_age (int): An age of the targeted contacts, in years (`minAge`, `maxAge`), e.g. 31.
        zipcode (str): Targeted postal code(s), as a string ("60200").
        interest (str): Identifier of the targeted interest, a number sent as a string ("12").
        category (int): Targeted socio-professional category, e.g. 102 (CSP+) or 103 (CSP-).
        details_localisation (list[RentalLocationDetail]): Volumes per targeted location.
        cost (RentalCost): Cost of the rental.
    """

    sexe: str
    min_age: int
    max_age: int
    zipcode: str
    interest: str
    category: int
    details_localisation: list[RentalLocationDetail]
    cost: RentalCost
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sexe = self.sexe

        min_age = self.min_age

        max_age = self.max_age

        zipcode = self.zipcode

        interest = self.interest

        category = self.category

        details_localisation = []
        for details_localisation_item_data in self.details_localisation:
            details_localisation_item = details_localisation_item_data.to_dict()
            details_localisation.append(details_localisation_item)

        cost = self.cost.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sexe": sexe,
                "minAge": min_age,
                "maxAge": max_age,
                "zipcode": zipcode,
                "interest": interest,
                "category": category,
                "details_localisation": details_localisation,
                "cost": cost,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rental_cost import RentalCost  # noqa: PLC0415
        from ..models.rental_location_detail import RentalLocationDetail  # noqa: PLC0415

        d = dict(src_dict)
        sexe = d.pop("sexe")

        min_age = d.pop("minAge")

        max_age = d.pop("maxAge")

        zipcode = d.pop("zipcode")

        interest = d.pop("interest")

        category = d.pop("category")

        details_localisation = []
        _details_localisation = d.pop("details_localisation")
        for details_localisation_item_data in _details_localisation:
            details_localisation_item = RentalLocationDetail.from_dict(details_localisation_item_data)

            details_localisation.append(details_localisation_item)

        cost = RentalCost.from_dict(d.pop("cost"))

        rental_targeting = cls(
            sexe=sexe,
            min_age=min_age,
            max_age=max_age,
            zipcode=zipcode,
            interest=interest,
            category=category,
            details_localisation=details_localisation,
            cost=cost,
        )

        rental_targeting.additional_properties = d
        return rental_targeting

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
