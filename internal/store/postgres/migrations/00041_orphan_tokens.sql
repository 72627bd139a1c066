-- +goose Up
-- Tokens whose owner is gone name nobody: a deleted user's live (pubsub)
-- token was kept until deleting a user deleted it too, and a token of an
-- owner deleted outside Baton's own paths would be kept as well.
DELETE FROM access_tokens WHERE owner_type IN ('User', 'UserPubsub') AND owner_id NOT IN (SELECT id FROM users);
DELETE FROM access_tokens WHERE owner_type = 'AgentBot' AND owner_id NOT IN (SELECT id FROM agent_bots);
DELETE FROM access_tokens WHERE owner_type = 'PlatformApp' AND owner_id NOT IN (SELECT id FROM platform_apps);

-- +goose Down
-- Nothing to restore: the tokens named nobody.
SELECT 1;
