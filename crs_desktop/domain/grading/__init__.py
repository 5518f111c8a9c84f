"""CRS and ICANS grading (pure Python): ASTCT 2019, Lee 2014, CTCAE v5.0, NEWS2.

Every rule cites its section of ../shared/clinical/REFERENCE.md beside the code.
"""

from crs_desktop.domain.grading.astct_icans import ice_score
from crs_desktop.domain.grading.grader import (
    SYSTEM_TITLES,
    SYSTEMS,
    Grader,
    GradeSet,
    SystemGrade,
)
from crs_desktop.domain.grading.settings import GradingSettings

__all__ = [
    "SYSTEMS",
    "SYSTEM_TITLES",
    "GradeSet",
    "Grader",
    "GradingSettings",
    "SystemGrade",
    "ice_score",
]
