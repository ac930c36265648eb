//! Views: text cards and JSON for diagnoses.
