"""The wire model: HL7 FHIR R4 JSON (validated with `fhir.resources.R4B`), both directions.

Requests the client sends and the reference exchange reads use the same functions, so the two cannot drift:

| domain                       | FHIR                                                        | module          |
|------------------------------|-------------------------------------------------------------|-----------------|
| Prescription + signatures    | Bundle(collection): MedicationRequest…, Provenance…         | `prescription`  |
| Dispensing + signatures      | Bundle(collection): MedicationDispense…, Provenance…        | `dispensing`    |
| Cancellation (signed)        | Bundle(collection): Task(code cancel), Provenance           | `dispensing`    |
| Eligibility ask / answer     | CoverageEligibilityRequest / CoverageEligibilityResponse    | `eligibility`   |
| A submission's result        | Task (outputs by name), errors as OperationOutcome          | `common`        |
| Several submissions at once  | Bundle(batch) / Bundle(batch-response)                      | `sync.client`   |
| What SEPAS holds (8-5)       | Bundle(searchset) of DocumentReference                      | `sepas`         |
| Medical council answer (8-12)| Practitioner (licence status, specialty)                    | `council`       |
| Service lines (7-6, 8-1)     | ServiceRequest in the prescription Bundle                   | `prescription`  |
| Visit + signatures (9-1-7)   | Bundle(collection): Encounter, ChargeItem, Provenance…      | `services`      |
| Outcome + signature (9-2-8)  | Bundle(collection): DiagnosticReport, Observation…, Provenance | `services`   |
"""

from sync.fhir.common import (
    FhirError,
    Outcome,
    WireSignature,
    outcome,
    read_outcome,
    read_task,
    task,
    validate,
)
from sync.fhir.dispensing import bundle_to_cancel, bundle_to_dispensing, cancel_bundle, dispensing_bundle
from sync.fhir.eligibility import Eligibility, eligibility_request, eligibility_response, read_eligibility
from sync.fhir.prescription import bundle_to_prescription, prescription_bundle
from sync.fhir.services import bundle_to_outcome, bundle_to_visit, outcome_bundle, visit_bundle

__all__ = [
    "Eligibility",
    "FhirError",
    "Outcome",
    "WireSignature",
    "bundle_to_cancel",
    "bundle_to_dispensing",
    "bundle_to_outcome",
    "bundle_to_visit",
    "bundle_to_prescription",
    "cancel_bundle",
    "dispensing_bundle",
    "eligibility_request",
    "eligibility_response",
    "outcome",
    "outcome_bundle",
    "prescription_bundle",
    "read_eligibility",
    "read_outcome",
    "read_task",
    "task",
    "validate",
    "visit_bundle",
]
