-- +goose Up
-- Chatwoot's account reports (GET /api/v2/accounts/{id}/reports and
-- reports/summary) and the agent app's people report.
--
-- reporting_events are the facts they average and count, under Chatwoot's
-- names (baton.Report*), each written in the transaction of the change it
-- reports: a person's first public reply (first_response), a later reply
-- that ended a customer's wait (reply_time), a resolution
-- (conversation_resolved), a reopening (conversation_opened) and an
-- assignment to a person (conversation_assigned). user_id is the person it
-- belongs to, NULL for none; its value is created_at - started_at. They
-- go with their conversation, which goes with its account and inbox: no
-- key leads to those shared rows (see 00028).
CREATE TABLE reporting_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL,
    inbox_id        BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id         BIGINT,
    name            TEXT   NOT NULL,
    started_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX reporting_events_account ON reporting_events (account_id, name, created_at, started_at, user_id);
CREATE INDEX reporting_events_conversation ON reporting_events (conversation_id, name);

-- The reports count an account's conversations and messages of a time
-- range, and sum its reporting events; each index holds what the account's
-- counts and sums read, so that they read no rows (message_type, and the
-- events' started_at and user_id). created_at never changes, so neither
-- index is written again when a conversation's activity is (see 00029).
CREATE INDEX conversations_account_created ON conversations (account_id, created_at);
CREATE INDEX messages_account_created ON messages (account_id, created_at, message_type);

-- The first responses made before this migration, from what conversations
-- kept of them: the first public reply of a person, started at the latest
-- handoff before it or else at the conversation's creation. Resolutions
-- and the rest were not kept, and count from now on.
INSERT INTO reporting_events (account_id, inbox_id, conversation_id, user_id, name, started_at, created_at)
SELECT v.account_id, v.inbox_id, v.id,
    (SELECT m.sender_id FROM messages m WHERE m.conversation_id = v.id AND m.message_type = 1 AND NOT m.private
        AND m.sender_type = 'User' ORDER BY m.id LIMIT 1),
    'first_response',
    COALESCE((SELECT MAX(h.created_at) FROM handoffs h WHERE h.conversation_id = v.id
        AND h.created_at <= v.first_reply_created_at), v.created_at),
    v.first_reply_created_at
FROM conversations v WHERE v.first_reply_created_at IS NOT NULL;

-- +goose Down
DROP INDEX messages_account_created;
DROP INDEX conversations_account_created;
DROP TABLE reporting_events;
