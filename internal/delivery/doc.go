// Package delivery carries events to bots. Each bot and conversation is a
// lane: within a lane, events go out in the order they happened, the next
// one only after the one before was acknowledged or given up. Lanes are
// independent, so a slow conversation or a failing bot holds back nothing
// else. Every attempt is recorded; the same X-Chatwoot-Delivery id is sent
// on each attempt of one delivery, so bots can drop duplicates.
//
// A bot that is down or overloaded (no connection, a timeout, 429, 502,
// 503, 504) keeps its lanes and is retried on the long schedule, so an
// outage of hours loses nothing. A bot that answers any other error for an
// event gets a few quick retries, then that event is given up (kept, with
// its attempts, in the log) and its lane moves on: one event a bot cannot
// digest never blocks a conversation.
package delivery
