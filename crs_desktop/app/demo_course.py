"""The demo patient's course: a made-up but realistic CRS episode after CAR-T.

Hours are counted from the CAR-T infusion (day 0). The story: premedication
and infusion on day 0; fever from day +2; CRP and ferritin rising; hypotension
answered by a fluid bolus; hypoxia needing nasal-cannula oxygen (ASTCT grade 2);
tocilizumab; a brief ICE dip; then improvement back to room air and normal
temperature. Vitals every 4 h, every 1-2 h while febrile; labs daily; ICE
every 8 h. No one in it is real.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_MRN = "DEMO-001"
DEMO_NAME = "Demo, Alex (not a real patient)"
DEMO_BIRTH_DATE = "1968-04-12"
DEMO_WEIGHT_KG = 72.0
DEMO_PRODUCT = "axicabtagene ciloleucel"
DEMO_SOURCE = "demo"
DEMO_NURSE = "demo feed"
INFUSION_HOUR = 0.0
COURSE_END_HOUR = 150.0


@dataclass(frozen=True, slots=True)
class CourseValue:
    """One value of the course at `hour` hours after the infusion."""

    hour: float
    item: str
    value: str
    unit: str = ""
    note: str = ""


# (hour, temperature °C, heart rate, systolic, diastolic, resp rate, SpO2)
# The vitals tell the story; the interventions below answer them.
_VITALS: list[tuple[float, float, int, int, int, int, int]] = [
    (-2, 36.6, 78, 128, 76, 14, 98),
    (2, 36.8, 80, 126, 74, 14, 98),
    (6, 36.9, 82, 124, 75, 15, 98),
    (10, 36.7, 79, 122, 72, 14, 97),
    (14, 36.8, 80, 125, 74, 14, 98),
    (18, 37.0, 84, 121, 70, 15, 97),
    (22, 36.9, 82, 123, 73, 14, 98),
    (26, 37.1, 86, 120, 72, 15, 97),
    (30, 37.2, 88, 119, 70, 16, 97),
    (34, 37.4, 90, 118, 70, 16, 97),
    (38, 37.6, 94, 116, 68, 16, 96),
    (42, 37.9, 98, 114, 66, 17, 96),
    (46, 38.3, 104, 112, 64, 18, 96),  # fever: CRS grade 1
    (47, 38.6, 108, 110, 62, 18, 96),
    (48, 38.4, 106, 108, 62, 18, 95),
    (50, 38.9, 112, 104, 60, 19, 95),
    (52, 39.1, 116, 100, 58, 20, 95),
    (54, 38.8, 114, 96, 56, 20, 94),
    (56, 39.2, 120, 88, 50, 22, 94),  # hypotension: grade 2
    (57, 39.0, 116, 96, 56, 22, 93),  # after the fluid bolus
    (58, 38.9, 114, 98, 58, 22, 92),
    (60, 39.3, 118, 94, 55, 24, 91),  # hypoxia: nasal cannula
    (61, 39.0, 114, 98, 58, 22, 95),
    (62, 38.7, 110, 100, 60, 21, 95),
    (64, 38.4, 104, 102, 62, 20, 96),
    (66, 38.0, 100, 106, 64, 20, 96),
    (68, 37.6, 96, 108, 66, 19, 96),
    (70, 37.4, 92, 110, 66, 18, 96),
    (72, 37.8, 94, 108, 66, 18, 96),
    (74, 37.2, 90, 112, 68, 18, 96),
    (78, 37.0, 88, 114, 68, 17, 96),
    (82, 36.9, 86, 116, 70, 16, 97),
    (86, 36.8, 84, 118, 70, 16, 97),
    (90, 36.9, 84, 118, 72, 16, 97),
    (94, 36.7, 82, 120, 72, 15, 97),
    (98, 36.8, 80, 121, 72, 15, 98),
    (102, 36.7, 80, 122, 74, 14, 98),
    (106, 36.6, 78, 124, 74, 14, 98),
    (110, 36.8, 80, 122, 72, 14, 98),
    (114, 36.7, 78, 124, 74, 14, 98),
    (118, 36.6, 76, 125, 75, 14, 98),
    (122, 36.8, 78, 124, 74, 14, 98),
    (126, 36.7, 78, 126, 76, 14, 98),
    (130, 36.6, 76, 126, 76, 14, 98),
    (134, 36.7, 77, 125, 75, 14, 98),
    (138, 36.6, 76, 127, 76, 14, 98),
    (142, 36.7, 76, 126, 76, 14, 98),
    (146, 36.6, 75, 127, 77, 14, 98),
    (150, 36.6, 76, 126, 76, 14, 98),
]

# (hour, device, flow L/min or None)
_OXYGEN: list[tuple[float, str, float | None]] = [
    (-2, "room_air", None),
    (60.25, "nasal_cannula", 2.0),
    (64, "nasal_cannula", 3.0),
    (74, "nasal_cannula", 1.0),
    (82, "room_air", None),
]

# (hour, crp mg/L, ferritin ng/mL, wbc, anc, lymphocytes, platelets, hemoglobin g/dL)
_LABS: list[tuple[float, float, float, float, float, float, float, float]] = [
    (-3, 4.0, 420, 3.1, 2.0, 0.4, 142, 10.9),
    (21, 9.0, 560, 2.2, 1.4, 0.9, 128, 10.6),
    (45, 48.0, 1150, 1.8, 1.1, 1.6, 110, 10.3),
    (69, 176.0, 3900, 1.2, 0.6, 2.4, 86, 9.6),
    (93, 121.0, 5200, 0.9, 0.4, 1.8, 74, 9.4),
    (117, 58.0, 4100, 1.1, 0.5, 1.2, 70, 9.5),
    (141, 22.0, 2700, 1.6, 0.8, 0.9, 76, 9.7),
]

# ICE every 8 h; a dip to 8 on day +3 (ICANS grade 1), back to 10.
_ICE: list[tuple[float, int]] = [(h, 10) for h in range(0, 152, 8)]
_ICE = [(h, 8 if h in (72, 80) else s) for h, s in _ICE]

_EVENTS: list[CourseValue] = [
    CourseValue(-4, "weight", f"{DEMO_WEIGHT_KG:g}", "kg"),
    # Premedication before the infusion (label practice, REFERENCE.md §1.2):
    # it does not waive the fever criterion.
    CourseValue(-1, "paracetamol", "650", "mg", "premedication"),
    CourseValue(INFUSION_HOUR, "car_t_infusion", DEMO_PRODUCT),
    CourseValue(46.5, "paracetamol", "1000", "mg"),
    CourseValue(56.25, "fluid_bolus", "500", "mL"),
    CourseValue(62.5, "paracetamol", "1000", "mg"),
    # 8 mg/kg × 72 kg = 576 mg (REFERENCE.md §5.1).
    CourseValue(61.0, "tocilizumab", "576", "mg"),
]


def course() -> list[CourseValue]:
    """The whole course, in time order."""
    values: list[CourseValue] = list(_EVENTS)
    for hour, temp, hr, sbp, dbp, rr, spo2 in _VITALS:
        values += [
            CourseValue(hour, "temperature", f"{temp:.1f}", "Cel"),
            CourseValue(hour, "heart_rate", str(hr), "/min"),
            CourseValue(hour, "systolic_bp", str(sbp), "mm[Hg]"),
            CourseValue(hour, "diastolic_bp", str(dbp), "mm[Hg]"),
            CourseValue(hour, "resp_rate", str(rr), "/min"),
            CourseValue(hour, "spo2", str(spo2), "%"),
            CourseValue(hour, "acvpu", "A"),
        ]
    for hour, device, flow in _OXYGEN:
        values.append(CourseValue(hour, "o2_device", device))
        if flow is not None:
            values.append(CourseValue(hour, "o2_flow", f"{flow:g}", "L/min"))
    for hour, crp, ferritin, wbc, anc, lymph, plt, hgb in _LABS:
        values += [
            CourseValue(hour, "crp", f"{crp:g}", "mg/L"),
            CourseValue(hour, "ferritin", f"{ferritin:g}", "ng/mL"),
            CourseValue(hour, "wbc", f"{wbc:g}", "10*9/L"),
            CourseValue(hour, "anc", f"{anc:g}", "10*9/L"),
            CourseValue(hour, "lymphocytes", f"{lymph:g}", "10*9/L"),
            CourseValue(hour, "platelets", f"{plt:g}", "10*9/L"),
            CourseValue(hour, "hemoglobin", f"{hgb:g}", "g/dL"),
        ]
    for hour, score in _ICE:
        values.append(CourseValue(hour, "ice_score", str(score)))
        values.append(CourseValue(hour, "consciousness", "alert"))
    values.sort(key=lambda v: v.hour)
    return values
