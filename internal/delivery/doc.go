// Package delivery carries events to their targets: bots, and webhook
// endpoints (account webhooks, API inboxes' webhook_url), which are one
// more kind of target with the same lanes, retries, signatures, breaker and
// log (baton.Target). Each target and conversation is a lane: within a
// lane, events go out in the order they happened, the next one only after
// the one before was acknowledged or given up. Lanes are independent, so a
// slow conversation or a failing target holds back nothing else. Only a
// bot's failure can hand a conversation to people (Config.OnGiveUp is
// told of every give-up; the handoff policy looks at bots' deliveries
// only). Every attempt is recorded; the same X-Chatwoot-Delivery id is sent
// on each attempt of one delivery, so bots can drop duplicates.
//
// A target that is down or overloaded (no connection, a timeout, 429, 502,
// 503, 504) keeps its lanes and is retried on the long schedule, so an
// outage of hours loses nothing. A target that answers any other error for
// an event gets a few quick retries, then that event is given up (kept, with
// its attempts, in the log) and its lane moves on: one event a bot cannot
// digest never blocks a conversation. With --webhook-block-private, private
// addresses are refused on the address dialed, but for the hosts and ranges
// a target's account allows (clientFor).
package delivery
