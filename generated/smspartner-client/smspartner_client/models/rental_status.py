from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.rental_file import RentalFile
    from ..models.rental_targeting import RentalTargeting


T = TypeVar("T", bound="RentalStatus")


@_attrs_define
class RentalStatus:
    """Answer of `GET /location/status`. Unlike the stop list it carries no `code` field.

    Attributes:
        success (bool): Always true in a successful answer.
        token (str): Identifier of the rental, as sent in the request. The docs' JSON example shows
            the placeholder "identifiant de la location", its XML twin a 40-hex token.
        status (str): Status of the rental as English text. The docs list five rental status codes:
            0 request made ("La demande de location a été effectuée"), 1 file being generated
            ("Le fichier est en cours de création"), 2 file ready to download ("La création du
            fichier est terminée"), 3 request failed ("La demande de location a échoué"),
            5 file already downloaded ("Le fichier a déjà été téléchargé"). Only the text of code
            5 is documented ("File downloaded by user from api", the example's); the other four
            texts of the enum are guesses modelled on it. `x-status-codes` quotes the docs.
        location (RentalTargeting): What was ordered in the rental (targeting criteria, volumes and cost).
        file (RentalFile): The file of rented contacts.
    """

    success: bool
    token: str
    status: str
    location: RentalTargeting
    file: RentalFile
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        token = self.token

        status = self.status

        location = self.location.to_dict()

        file = self.file.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "success": success,
                "token": token,
                "status": status,
                "location": location,
                "file": file,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rental_file import RentalFile  # noqa: PLC0415
        from ..models.rental_targeting import RentalTargeting  # noqa: PLC0415

        d = dict(src_dict)
        success = d.pop("success")

        token = d.pop("token")

        status = d.pop("status")

        location = RentalTargeting.from_dict(d.pop("location"))

        file = RentalFile.from_dict(d.pop("file"))

        rental_status = cls(
            success=success,
            token=token,
            status=status,
            location=location,
            file=file,
        )

        rental_status.additional_properties = d
        return rental_status

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
