"""Deterministic scenario simulator: synthetic sponsors, participants, contributions and claims.

`build_scenario(name, seed, scale)` returns a `Scenario` whose `events()` yields
`(topic, key, schema_name, record)` in publishing order, records shaped exactly like schemas/
(dates as `datetime.date`, instants as aware UTC `datetime`, money as int Rupiah, the claim `detail`
union as a `(full_record_name, dict)` tuple). `scenario.expected` holds the counts known up front.

Order: SponsoredCohortFunded; per batch the ParticipantEnrolled events then its
EnrollmentBatchCompleted; ProgramsChanged; ContributionPosted in period order; then, by submission
time, CoverageEnded (exits and deaths) and ClaimSubmitted. No event of a participant precedes their
enrollment.

Simplification (to keep a replay to a few minutes): monthly contributions are posted ONLY for
claimants, for the `contribution_months` (default 24) months up to and including the insured
event's month, or the whole history since enrollment for JP claimants, for PU JKK and JKm
claimants (a shorter history would read as employer arrears, and make their claims
employer-first) and for PU JHT claimants (`full_history_for_pu_jht`, their balance depends on
it; jakarta-2016 draws 31.5% of its JHT claimants from PU, `scenarios.JAKARTA_JHT_PU_SHARE`,
`uniform_claimants=True` draws them uniformly). Everyone else is enrolled but has no contribution
events. Each claimant has exactly one
claim (the published mix counts people), except the deliberately bad cases listed in
`scenarios.JAKARTA_BAD`. Rates, minimum wages and JP caps are the simulator's own table
(reference.py): it does not import services.rules on purpose.

Nothing reads the clock: a scenario runs to its fixed `as_of` date (jakarta-2016: 2026-06-30), so
the same seed always gives byte-identical events; `random.Random` seeded from (scenario, seed).
"""

from simulator.engine import Scenario
from simulator.generation import Event
from simulator.model import PARTICIPANT_TOPIC, SPONSOR_TOPIC, Record
from simulator.reference import DISABILITY_CODES
from simulator.scenarios import JAKARTA_BAD, SCENARIOS, build_scenario

__all__ = [
    "DISABILITY_CODES",
    "JAKARTA_BAD",
    "PARTICIPANT_TOPIC",
    "SCENARIOS",
    "SPONSOR_TOPIC",
    "Event",
    "Record",
    "Scenario",
    "build_scenario",
]
