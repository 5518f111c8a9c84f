"""The oxygen a patient was on over time, as the plots draw it: the device, its flow and
FiO2 in force after each charted time, and the band of the ASTCT hypoxia levels."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import NamedTuple

from crs_desktop.domain.grading.astct_crs import device_level

# The bands by name, as the window and the handover label them: the ASTCT hypoxia
# levels of REFERENCE.md §1.4 (low flow = grade 2; high flow or any mask = grade 3;
# positive pressure = grade 4), drawn 0-3.
BAND_NAMES = ((0, "room air"), (1, "low flow"), (2, "high flow"), (3, "CPAP/vent"))

# A device in the few letters a ward writes beside a plot ("NC 2 L/min"): the window's
# plots and the handover's say the same.
DEVICE_SHORT = {
    "room_air": "room air",
    "nasal_cannula": "NC",
    "high_flow_nasal_cannula": "HFNC",
    "non_rebreather": "NRB mask",
    "mechanical_ventilation": "ventilated",
    "simple_mask": "mask",
    "venturi_mask": "Venturi",
    "blow_by": "blow-by",
    "cpap": "CPAP",
    "bipap": "BiPAP",
}


def device_short(device: str) -> str:
    """'NC', 'HFNC', 'room air': a device as the plots label it."""
    return DEVICE_SHORT.get(device, device.replace("_", " "))


class OxygenCharted(NamedTuple):
    """One charted oxygen value: a device (as its word), a flow (L/min) or an FiO2 (%)."""

    time: float
    item: str
    value: float | None
    text: str | None


class OxygenState(NamedTuple):
    """What the patient was on from `time` until the next state."""

    time: float
    device: str | None  # None: no device charted yet
    flow: float | None
    fio2: float | None

    @property
    def band(self) -> int:
        """0 room air, 1 low flow, 2 high flow or a mask, 3 positive pressure."""
        return o2_band(self.device or "room_air", self.flow)


def o2_band(device: str, flow: float | None) -> int:
    """The band (0-3) for a device and, for a cannula, its flow: the ASTCT hypoxia levels of
    REFERENCE.md §1.4 less one, as the grade reads them (astct_crs.device_level)."""
    return max(0, device_level(device, flow) - 1)


def oxygen_course(charted: Iterable[OxygenCharted]) -> list[OxygenState]:
    """The state after each charted time, in time order.

    A new device drops the flow and FiO2 charted before it: they were the earlier
    device's, as grading reads them (astct_crs.oxygen_level: "a flow charted before the
    device was last changed belongs to the earlier device"). Values charted at the same
    time as the device go with it, whatever order they were typed in.
    """
    states: list[OxygenState] = []
    device: str | None = None
    flow: float | None = None
    fio2: float | None = None
    ordered = sorted(charted, key=lambda c: c.time)
    for at, group in itertools.groupby(ordered, key=lambda c: c.time):
        values = list(group)
        devices = [c for c in values if c.item == "o2_device"]
        if devices:
            device = devices[-1].text or "room_air"
            flow = fio2 = None
        for c in values:
            if c.item == "o2_flow":
                flow = c.value
            elif c.item == "fio2":
                fio2 = c.value
        states.append(OxygenState(at, device, flow, fio2))
    return states
