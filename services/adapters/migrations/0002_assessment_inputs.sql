-- What the rules judged, per decision (ClaimDecided.assessment_inputs, schema v2): the claim, the
-- participant's coverage and the earlier claims, as JSON (services/app/assessment_inputs.py), so
-- `claims readjudicate` can judge a claim again under another rule set. No NIK. NULL for claims
-- decided before this migration: those cannot be re-judged faithfully and are listed as such.
ALTER TABLE claims ADD COLUMN assessment_inputs jsonb;
