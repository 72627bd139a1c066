-- +goose Up
-- The sites that may frame a web widget inbox's page, as Chatwoot's
-- channel_web_widgets.allowed_domains keeps them: host sources separated by
-- commas, checked when written (baton.ParseAllowedDomains). Empty lets any
-- site frame it, as before.
ALTER TABLE inboxes ADD COLUMN allowed_domains TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE inboxes DROP COLUMN allowed_domains;
