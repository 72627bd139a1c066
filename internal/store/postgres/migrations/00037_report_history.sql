-- +goose Up
-- The account reports' business hours, and the resolutions and reopenings
-- made before reporting events were kept (00035).
--
-- business_value is an event's value counted only within its inbox's
-- working hours (baton.Inbox.WorkingTime), Chatwoot's
-- value_in_business_hours, in microseconds; the use cases write it with
-- the event. The events written before it are NULL until
-- app.FillBusinessValues, which every serving process runs, counts them
-- (the working hours are Go's to count: a time zone's summer time is not
-- SQL's); those of inboxes without working hours are their calendar value,
-- set below. The partial index finds the ones left, and is empty once
-- they are counted.
ALTER TABLE reporting_events ADD COLUMN business_value BIGINT;
CREATE INDEX reporting_events_business_unset ON reporting_events (id) WHERE business_value IS NULL;

-- The status changes of every conversation, from the activity messages
-- Baton has written for each since its first version (their texts have
-- not changed: app.statusActivity), and the handoffs, which open a
-- conversation without one: in order, each with the time of the change
-- after it (next_at). resolver is the name a person's or bot's resolution
-- gives.
CREATE TEMP TABLE report_changes AS
WITH changes AS (
    SELECT m.conversation_id, m.created_at AS at, 1 AS src, m.id,
        CASE WHEN SUBSTR(m.content, 1, 36) = 'Conversation was marked resolved by '
            OR SUBSTR(m.content, 1, 29) = 'Conversation was resolved by ' THEN 1 ELSE 0 END AS resolved,
        CASE WHEN SUBSTR(m.content, 1, 36) = 'Conversation was marked resolved by '
            THEN SUBSTR(m.content, 37) END AS resolver
    FROM messages m
    WHERE m.message_type = 2 AND (
        SUBSTR(m.content, 1, 36) = 'Conversation was marked resolved by '
        OR SUBSTR(m.content, 1, 29) = 'Conversation was resolved by '
        OR SUBSTR(m.content, 1, 29) = 'Conversation was reopened by '
        OR SUBSTR(m.content, 1, 38) = 'Conversation was marked as pending by '
        OR SUBSTR(m.content, 1, 28) = 'Conversation was snoozed by '
        OR m.content = 'System reopened the conversation due to a new incoming message.'
        OR m.content = 'The snooze ended: the conversation was reopened')
    UNION ALL
    SELECT h.conversation_id, h.created_at, 0, h.id, 0, NULL FROM handoffs h
)
SELECT c.conversation_id, c.at, c.src, c.id, c.resolved, c.resolver,
    LEAD(c.at) OVER (PARTITION BY c.conversation_id ORDER BY c.at, c.src, c.id) AS next_at
FROM changes c;

-- A reopening is the first change after a resolution; recorded unless one
-- was recorded for it already (between it and the next resolution).
INSERT INTO reporting_events (account_id, inbox_id, conversation_id, user_id, name, started_at, created_at)
SELECT v.account_id, v.inbox_id, v.id, NULL, 'conversation_opened', r.next_at, r.next_at
FROM (SELECT x.*, LEAD(x.at) OVER (PARTITION BY x.conversation_id ORDER BY x.at, x.src, x.id) AS next_resolution_at
      FROM report_changes x WHERE x.resolved = 1) r
JOIN conversations v ON v.id = r.conversation_id
WHERE r.next_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM reporting_events e
    WHERE e.conversation_id = r.conversation_id AND e.name = 'conversation_opened'
    AND e.created_at >= r.next_at AND e.created_at < COALESCE(r.next_resolution_at, 9223372036854775807));

-- A resolution is recorded unless one was recorded for it already (between
-- it and the change after it), as the use cases record it: from when the
-- conversation became people's (its creation, its latest handoff, or the
-- reopening after its previous resolution), for the person who resolved
-- it when their name is one member's alone and no bot's, else, while it
-- has stayed resolved since, for its assignee; else nobody's.
INSERT INTO reporting_events (account_id, inbox_id, conversation_id, user_id, name, started_at, created_at)
SELECT v.account_id, v.inbox_id, v.id,
    COALESCE(
        (SELECT CASE WHEN COUNT(*) = 1 THEN MIN(u.id) END FROM account_users au JOIN users u ON u.id = au.user_id
            WHERE au.account_id = v.account_id AND r.resolver IS NOT NULL
            AND (CASE WHEN u.display_name <> '' THEN u.display_name ELSE u.name END) = r.resolver
            AND NOT EXISTS (SELECT 1 FROM agent_bots b
                WHERE (b.account_id = v.account_id OR b.account_id IS NULL) AND b.name = r.resolver)),
        CASE WHEN r.next_at IS NULL THEN v.assignee_id END),
    'conversation_resolved',
    GREATEST(v.created_at,
        COALESCE((SELECT MAX(h.created_at) FROM handoffs h WHERE h.conversation_id = v.id AND h.created_at <= r.at), 0),
        COALESCE(r.reopened_at, 0)),
    r.at
FROM (SELECT x.*, LAG(x.next_at) OVER (PARTITION BY x.conversation_id ORDER BY x.at, x.src, x.id) AS reopened_at
      FROM report_changes x WHERE x.resolved = 1) r
JOIN conversations v ON v.id = r.conversation_id
WHERE NOT EXISTS (SELECT 1 FROM reporting_events e
    WHERE e.conversation_id = r.conversation_id AND e.name = 'conversation_resolved'
    AND e.created_at >= r.at AND e.created_at < COALESCE(r.next_at, 9223372036854775807));

DROP TABLE report_changes;

UPDATE reporting_events SET business_value = created_at - started_at
WHERE business_value IS NULL AND inbox_id IN (SELECT i.id FROM inboxes i WHERE NOT i.working_hours_enabled);

-- +goose Down
DROP INDEX reporting_events_business_unset;
ALTER TABLE reporting_events DROP COLUMN business_value;
