-- +goose Up
-- The handoff between bot and people (docs/webhooks.md, "Who owns a
-- conversation"): the inbox's settings for it, teams as Chatwoot has them,
-- each handoff with its reason, and the facts the bot reports count.
ALTER TABLE inboxes ADD COLUMN bot_replies_when_open BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE inboxes ADD COLUMN customer_can_request_human BOOLEAN NOT NULL DEFAULT TRUE;
-- max_assignment_limit: at most this many open conversations per agent from
-- auto assignment; 0 is no limit.
ALTER TABLE inboxes ADD COLUMN max_assignment_limit INTEGER NOT NULL DEFAULT 0;

CREATE TABLE teams (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id        BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    allow_auto_assign BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE team_members (
    team_id    BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- handoffs: each time a conversation went from its bot to people. by_type is
-- User, AgentBot, Contact or System; agent_bot_id the bot that had it.
-- first_reply_at is the first public reply of a person after it.
CREATE TABLE handoffs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    inbox_id        BIGINT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    agent_bot_id    BIGINT,
    reason          TEXT   NOT NULL DEFAULT '',
    summary         TEXT   NOT NULL DEFAULT '',
    by_type         TEXT   NOT NULL,
    by_id           BIGINT NOT NULL DEFAULT 0,
    assignee_id     BIGINT,
    team_id         BIGINT,
    customer_told   BOOLEAN NOT NULL DEFAULT FALSE,
    first_reply_at  BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX handoffs_conversation ON handoffs (conversation_id, id);
CREATE INDEX handoffs_account_time ON handoffs (account_id, created_at);

-- bot_resolutions: a conversation resolved while its bot had it.
CREATE TABLE bot_resolutions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    inbox_id        BIGINT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    agent_bot_id    BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX bot_resolutions_account_time ON bot_resolutions (account_id, created_at);

CREATE INDEX conversations_team ON conversations (account_id, team_id);

-- +goose Down
DROP INDEX conversations_team;
DROP TABLE bot_resolutions;
DROP TABLE handoffs;
DROP TABLE team_members;
DROP TABLE teams;
ALTER TABLE inboxes DROP COLUMN max_assignment_limit;
ALTER TABLE inboxes DROP COLUMN customer_can_request_human;
ALTER TABLE inboxes DROP COLUMN bot_replies_when_open;
