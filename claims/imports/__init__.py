"""`claims import`: a sponsor's enrollment file (files), checked row by row by
services.app.import_rows, published as ParticipantEnrolled events (publish, avro_writer);
`claims make-import-file` writes a realistic file with known bad rows (make_file)."""
