"""The grading settings an institution may change (set from the protocol file)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GradingSettings:
    """Configurable numbers the grading uses; each default names its source.

    The shipped protocol file (resources/protocols/default.toml, [grading]) sets the same
    values with their sources; a ward's copy may change them (domain/protocol.py reads them).
    """

    # A fever counts if charted within this many hours before the moment
    # graded. ASTCT defines no window (REFERENCE.md §1.3 item 8); 24 h is the
    # issue's default.
    fever_window_h: float = 24.0
    # ASTCT grades hypotension by the treatment it needs; without a vasopressor the
    # numbers decide that hypotension is present (REFERENCE.md §1.3a item 1 [D]: adult
    # SBP < 90 mmHg, §1.3 item 1; or MAP < 65 mmHg [U], a common institutional criterion).
    systolic_threshold: float = 90.0
    map_threshold: float = 65.0
    # REFERENCE.md §1.3a item 2 [D]: a grade that relies on the fever waiver gets a
    # review flag when the last waiving drug is older than this [U: no published limit].
    fever_waiver_review_days: float = 14.0
    # REFERENCE.md §1.3a item 3 [D]: a seizure, motor weakness or cerebral edema finding
    # that sets the ICANS grade gets a review flag when older than this.
    neuro_finding_review_h: float = 24.0
    # NEWS2 is left blank while a parameter is older than this. Vital signs
    # "at least every 4 h" after CAR-T (REFERENCE.md §6.1 [M1]).
    vitals_window_h: float = 4.0
    # NEWS2 SpO2 scale 1, or 2 for a target of 88-92 % (REFERENCE.md §7.1).
    news2_scale: int = 1
    # Laboratory reference limits for Lee 2014 organ toxicity (CTCAE grades,
    # REFERENCE.md §3). They are laboratory-specific (§6.2) and REFERENCE.md
    # gives no default, so organ toxicity is not graded until they are set.
    alt_uln: float | None = None  # U/L
    creatinine_uln: float | None = None  # µmol/L

    def __post_init__(self) -> None:
        # REFERENCE.md §7.1 has two SpO2 scales; any other number would be scored as
        # scale 1 without a word, so it is refused where the settings are made.
        if self.news2_scale not in (1, 2):
            raise ValueError(f"NEWS2 SpO2 scale {self.news2_scale!r}: allowed 1 or 2")
