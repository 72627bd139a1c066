-- +goose Up
-- The web widget's pre-chat form and the inbox's weekly schedule, as JSON
-- documents on the inbox (Chatwoot's pre_chat_form_options and the rows of
-- its working_hours table, in their wire shape). An empty text is the
-- default: Chatwoot's form with every field off, and its Monday-to-Friday
-- 09:00-17:00 schedule.
ALTER TABLE inboxes ADD COLUMN pre_chat_form_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE inboxes ADD COLUMN pre_chat_form_options TEXT NOT NULL DEFAULT '';
ALTER TABLE inboxes ADD COLUMN working_hours TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE inboxes DROP COLUMN working_hours;
ALTER TABLE inboxes DROP COLUMN pre_chat_form_options;
ALTER TABLE inboxes DROP COLUMN pre_chat_form_enabled;
