"""Contains all the data models used in inputs/outputs"""

from .documented_error_code import DocumentedErrorCode
from .error import Error
from .rental_cost import RentalCost
from .rental_file import RentalFile
from .rental_location_detail import RentalLocationDetail
from .rental_status import RentalStatus
from .rental_targeting import RentalTargeting
from .stop_entry import StopEntry
from .stop_list import StopList

__all__ = (
    "DocumentedErrorCode",
    "Error",
    "RentalCost",
    "RentalFile",
    "RentalLocationDetail",
    "RentalStatus",
    "RentalTargeting",
    "StopEntry",
    "StopList",
)
