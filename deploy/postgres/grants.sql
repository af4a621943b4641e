-- What the site's own database role and the signer's may do, run by the owner role
-- after every migrate:
--   psql "$OWNER_DATABASE_URL" -v site_role=kommogen -v signer_role=kommogen_signer \
--        -f deploy/postgres/grants.sql
-- The owner role (kommogen_owner) owns every table and runs migrations; the site runs
-- as site_role, which owns nothing, so it cannot drop or disable the triggers that
-- keep published versions and the evidence unchanged, and where the evidence lives it
-- may only read and insert.
\set ON_ERROR_STOP on
BEGIN;
GRANT USAGE ON SCHEMA public TO :"site_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"site_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"site_role";
-- Append-only: the acceptance events, cancellations, content loads, the record of
-- chain verifications, the signed checkpoints and the Merkle tree's nodes.
REVOKE UPDATE, DELETE, TRUNCATE ON
    agreements_acceptanceevent, agreements_cancellation, agreements_contentload,
    agreements_chainverification, agreements_checkpoint, agreements_merklenode,
    agreements_rightsrequestchange, agreements_formsnapshot, agreements_cosignature
    FROM :"site_role";
-- Only the signer (make_checkpoint, run by the timer with its own role) writes the
-- checkpoints and the Merkle tree's nodes: the site, or whoever takes it over, cannot
-- plant a forged node or checkpoint for the signer to build on.
REVOKE INSERT ON agreements_checkpoint, agreements_merklenode FROM :"site_role";
GRANT USAGE ON SCHEMA public TO :"signer_role";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"signer_role";
GRANT INSERT ON agreements_checkpoint, agreements_merklenode TO :"signer_role";
-- ... and stores the witnesses' cosignatures of them (only the signer asks for them).
GRANT INSERT ON agreements_cosignature TO :"signer_role";
REVOKE INSERT ON agreements_cosignature FROM :"site_role";
-- ... and queues the receipts a new checkpoint covers, to be emailed again with it.
GRANT INSERT ON agreements_outboxmessage TO :"signer_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"signer_role";
-- Drafts are edited and deleted (the triggers refuse it for published versions);
-- documents are never deleted; requests are erased by blanking, never deleted.
REVOKE DELETE, TRUNCATE ON agreements_version FROM :"site_role";
REVOKE DELETE, TRUNCATE ON agreements_document, agreements_submission, agreements_withdrawal,
    agreements_rightsrequest FROM :"site_role";
COMMIT;
