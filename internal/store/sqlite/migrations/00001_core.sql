-- +goose Up
-- Times are unix microseconds (UTC) in BIGINT columns, in both dialects, so
-- that the shared queries in internal/store read and write them the same way.
-- JSON documents are TEXT here and jsonb in PostgreSQL.

CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL,
    locale            TEXT    NOT NULL DEFAULT 'en',
    domain            TEXT    NOT NULL DEFAULT '',
    support_email     TEXT    NOT NULL DEFAULT '',
    status            INTEGER NOT NULL DEFAULT 0,
    custom_attributes TEXT    NOT NULL DEFAULT '{}',
    settings          TEXT    NOT NULL DEFAULT '{}',
    -- last_display_id is the last conversation display id handed out in the account.
    last_display_id   BIGINT  NOT NULL DEFAULT 0,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);

CREATE TABLE platform_apps (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE platform_app_permissibles (
    platform_app_id  BIGINT NOT NULL REFERENCES platform_apps(id) ON DELETE CASCADE,
    permissible_type TEXT   NOT NULL,
    permissible_id   BIGINT NOT NULL,
    PRIMARY KEY (platform_app_id, permissible_type, permissible_id)
);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL,
    display_name      TEXT    NOT NULL DEFAULT '',
    email             TEXT    NOT NULL UNIQUE,
    password_hash     TEXT    NOT NULL DEFAULT '',
    availability      INTEGER NOT NULL DEFAULT 0,
    custom_attributes TEXT    NOT NULL DEFAULT '{}',
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);

CREATE TABLE account_users (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT  NOT NULL,
    UNIQUE (account_id, user_id)
);
CREATE INDEX account_users_user ON account_users (user_id);

CREATE TABLE agent_bots (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  BIGINT REFERENCES accounts(id) ON DELETE CASCADE, -- NULL: a global bot
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    outgoing_url TEXT  NOT NULL DEFAULT '',
    bot_config  TEXT   NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- access_tokens holds one token per owner (User, AgentBot, PlatformApp):
-- token_hash (SHA-256) is what requests are looked up by, token_enc the
-- token sealed with the server key so that it can be shown again.
CREATE TABLE access_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_type TEXT   NOT NULL,
    owner_id   BIGINT NOT NULL,
    token_hash BLOB   NOT NULL UNIQUE,
    token_enc  BLOB   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_type, owner_id)
);

CREATE TABLE inboxes (
    id                            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id                    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name                          TEXT    NOT NULL,
    channel_type                  TEXT    NOT NULL,
    identifier                    TEXT    UNIQUE,
    hmac_token                    TEXT    NOT NULL DEFAULT '',
    hmac_mandatory                BOOLEAN NOT NULL DEFAULT FALSE,
    webhook_url                   TEXT    NOT NULL DEFAULT '',
    website_token                 TEXT    UNIQUE,
    website_url                   TEXT    NOT NULL DEFAULT '',
    widget_color                  TEXT    NOT NULL DEFAULT '',
    welcome_title                 TEXT    NOT NULL DEFAULT '',
    welcome_tagline               TEXT    NOT NULL DEFAULT '',
    greeting_enabled              BOOLEAN NOT NULL DEFAULT FALSE,
    greeting_message              TEXT    NOT NULL DEFAULT '',
    enable_email_collect          BOOLEAN NOT NULL DEFAULT TRUE,
    csat_survey_enabled           BOOLEAN NOT NULL DEFAULT FALSE,
    allow_messages_after_resolved BOOLEAN NOT NULL DEFAULT TRUE,
    lock_to_single_conversation   BOOLEAN NOT NULL DEFAULT FALSE,
    enable_auto_assignment        BOOLEAN NOT NULL DEFAULT TRUE,
    working_hours_enabled         BOOLEAN NOT NULL DEFAULT FALSE,
    out_of_office_message         TEXT    NOT NULL DEFAULT '',
    timezone                      TEXT    NOT NULL DEFAULT 'UTC',
    created_at                    BIGINT  NOT NULL,
    updated_at                    BIGINT  NOT NULL
);
CREATE INDEX inboxes_account ON inboxes (account_id);

CREATE TABLE inbox_members (
    inbox_id   BIGINT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (inbox_id, user_id)
);

CREATE TABLE contacts (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id            BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name                  TEXT    NOT NULL DEFAULT '',
    email                 TEXT,
    phone_number          TEXT,
    identifier            TEXT,
    additional_attributes TEXT    NOT NULL DEFAULT '{}',
    custom_attributes     TEXT    NOT NULL DEFAULT '{}',
    blocked               BOOLEAN NOT NULL DEFAULT FALSE,
    last_activity_at      BIGINT,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL
);
CREATE UNIQUE INDEX contacts_account_email ON contacts (account_id, email);
CREATE UNIQUE INDEX contacts_account_identifier ON contacts (account_id, identifier);
CREATE INDEX contacts_account_id ON contacts (account_id, id);

CREATE TABLE contact_inboxes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id    BIGINT  NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    inbox_id      BIGINT  NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    source_id     TEXT    NOT NULL,
    hmac_verified BOOLEAN NOT NULL DEFAULT FALSE,
    pubsub_token  TEXT    NOT NULL UNIQUE,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    UNIQUE (inbox_id, source_id)
);
CREATE INDEX contact_inboxes_contact ON contact_inboxes (contact_id);

CREATE TABLE conversations (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id             BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    inbox_id               BIGINT  NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    display_id             BIGINT  NOT NULL,
    contact_id             BIGINT  NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    contact_inbox_id       BIGINT  NOT NULL REFERENCES contact_inboxes(id) ON DELETE CASCADE,
    uuid                   TEXT    NOT NULL UNIQUE,
    status                 INTEGER NOT NULL DEFAULT 0,
    priority               INTEGER,
    assignee_id            BIGINT REFERENCES users(id) ON DELETE SET NULL,
    assignee_agent_bot_id  BIGINT REFERENCES agent_bots(id) ON DELETE SET NULL,
    team_id                BIGINT,
    snoozed_until          BIGINT,
    additional_attributes  TEXT    NOT NULL DEFAULT '{}',
    custom_attributes      TEXT    NOT NULL DEFAULT '{}',
    labels                 TEXT    NOT NULL DEFAULT '[]',
    muted                  BOOLEAN NOT NULL DEFAULT FALSE,
    agent_last_seen_at     BIGINT,
    assignee_last_seen_at  BIGINT,
    contact_last_seen_at   BIGINT,
    first_reply_created_at BIGINT,
    waiting_since          BIGINT,
    last_activity_at       BIGINT  NOT NULL,
    created_at             BIGINT  NOT NULL,
    updated_at             BIGINT  NOT NULL,
    UNIQUE (account_id, display_id)
);
CREATE INDEX conversations_account_activity ON conversations (account_id, status, last_activity_at);
CREATE INDEX conversations_contact_inbox ON conversations (contact_inbox_id, id);
CREATE INDEX conversations_contact ON conversations (contact_id);

CREATE TABLE messages (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id            BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    inbox_id              BIGINT  NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    conversation_id       BIGINT  NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_type          INTEGER NOT NULL,
    content_type          INTEGER NOT NULL DEFAULT 0,
    content               TEXT,
    content_attributes    TEXT    NOT NULL DEFAULT '{}',
    private               BOOLEAN NOT NULL DEFAULT FALSE,
    status                INTEGER NOT NULL DEFAULT 0,
    source_id             TEXT    NOT NULL DEFAULT '',
    sender_type           TEXT    NOT NULL DEFAULT '',
    sender_id             BIGINT  NOT NULL DEFAULT 0,
    external_source_ids   TEXT    NOT NULL DEFAULT '{}',
    additional_attributes TEXT    NOT NULL DEFAULT '{}',
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    account_id   BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    file_type    TEXT   NOT NULL,
    file_name    TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    byte_size    BIGINT NOT NULL,
    storage_key  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- +goose Down
DROP TABLE attachments;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE contact_inboxes;
DROP TABLE contacts;
DROP TABLE inbox_members;
DROP TABLE inboxes;
DROP TABLE access_tokens;
DROP TABLE agent_bots;
DROP TABLE account_users;
DROP TABLE users;
DROP TABLE platform_app_permissibles;
DROP TABLE platform_apps;
DROP TABLE accounts;
