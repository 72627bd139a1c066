// Package realtime is Baton's live channel: a /cable endpoint that speaks
// ActionCable's JSON protocol as Rails does (welcome, pings every three
// seconds, subscriptions keyed by their identifier as sent), with
// Chatwoot's RoomChannel, so that Chatwoot's widget, dashboard, mobile app
// and custom front ends built on @rails/actioncable work unchanged.
//
// The Hub reads the live event log that the app writes in the transaction
// of each change, after the commit, by id (on SQLite the order the one
// writer committed in; on PostgreSQL, woken by the other processes'
// announcements, it asks again for ids it read past before their
// transactions committed, so the order within a conversation holds), has
// each event a subscriber here may hear of loaded and rendered once, and
// fans the frames out to the connections whose subscriber may hear of it. A connection that cannot keep up is dropped,
// never waited for. Typing indicators expire on their own; recent events
// are kept for a while so that a client that says what it saw last can
// resume instead of refetching.
package realtime
